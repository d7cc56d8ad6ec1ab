"""``/ws/prices``: a snapshot at once, then every broadcast of the price feed.

Client messages: ``{"type": "ping"}`` → ``{"type": "pong"}``;
``{"type": "subscribe", "coins": [...]}`` narrows the stream to those coins (an empty
list means all). Anything else answers ``{"type": "error", ...}`` and keeps the
connection open.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from markets import feed, prices

MAX_MESSAGE_BYTES = 4096


def _snapshot() -> dict[str, Any]:
    feed.listeners_touch()
    return feed.board_message(prices.prices_board(), kind="snapshot")


class PricesConsumer(AsyncWebsocketConsumer):
    coins: frozenset[str] | None = None

    async def connect(self) -> None:
        await self.channel_layer.group_add(feed.GROUP, self.channel_name)
        await self.accept()
        await self._send(await database_sync_to_async(_snapshot)())

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(feed.GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            return await self._error("Send JSON text messages of at most 4 KB.")
        try:
            message = json.loads(text_data)
        except ValueError:
            return await self._error("Messages must be JSON.")
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ping":
            await self.send(text_data='{"type": "pong"}')
        elif kind == "subscribe":
            coins = message.get("coins")
            if not isinstance(coins, list) or not all(isinstance(c, str) for c in coins):
                return await self._error("subscribe needs coins: a list of coin ids.")
            self.coins = frozenset(coins) or None
            await self.send(text_data=json.dumps({"type": "subscribed", "coins": sorted(coins)}))
        else:
            await self._error("Unknown message type; use ping or subscribe.")

    async def prices_broadcast(self, event: dict[str, Any]) -> None:
        await database_sync_to_async(feed.listeners_touch)()
        await self._send({"type": "prices", "prices": event["prices"], "at": event["at"]})

    async def _send(self, message: dict[str, Any]) -> None:
        if self.coins is not None:
            message = {**message, "prices": [p for p in message["prices"] if p["id"] in self.coins]}
        await self.send(text_data=json.dumps(message))

    async def _error(self, detail: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "detail": detail}))
