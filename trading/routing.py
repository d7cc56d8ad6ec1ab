"""Trading websocket routes."""

from django.urls import URLPattern, URLResolver, path

from trading.consumers import OrdersConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/orders", OrdersConsumer.as_asgi()),
]
