"""Websocket routes of every app, gathered for the ASGI router.

The last route takes every other path and refuses it: Channels' router raises on a
path it does not know, which the server answers with HTTP 500.
"""

from django.urls import URLPattern, URLResolver, re_path

from cryptovault.websocket import RefuseConsumer
from markets.routing import websocket_urlpatterns as markets_websockets
from trading.routing import websocket_urlpatterns as trading_websockets

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    *markets_websockets,
    *trading_websockets,
    re_path(r"^", RefuseConsumer.as_asgi(), name="websocket-unknown"),
]
