"""Markets websocket routes."""

from django.urls import URLPattern, URLResolver, path

from markets.consumers import PricesConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/prices", PricesConsumer.as_asgi()),
]
