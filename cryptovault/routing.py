"""Websocket routes of every app, gathered for the ASGI router."""

from django.urls import URLPattern, URLResolver

from markets.routing import websocket_urlpatterns as markets_websockets
from trading.routing import websocket_urlpatterns as trading_websockets

websocket_urlpatterns: list[URLPattern | URLResolver] = [*markets_websockets, *trading_websockets]
