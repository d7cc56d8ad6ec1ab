"""``/ws/prices``: a snapshot at once, then every broadcast of the price feed.

Client messages: ``{"type": "ping"}`` → ``{"type": "pong"}``;
``{"type": "subscribe", "coins": [...]}`` narrows the stream to those coins (an empty
list means all). Anything else answers ``{"type": "error", ...}`` and keeps the
connection open.

Fan-out: Channels' usual pattern puts every consumer in the ``prices`` group, so a
broadcast is one channel-layer message per client (5,000 Redis round trips per
tick at 5,000 clients). Here each server process joins the group ONCE (one channel
per event loop) and hands each broadcast to its local consumers in memory,
serialised once. Clients see the same messages; the layer carries one per process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from cryptovault.websocket import error_send, message_receive
from markets import feed
from markets.board import prices_board
from markets.feed import PricesMessage

logger = logging.getLogger(__name__)


class LocalFanout:
    """One group member per event loop, relaying broadcasts to the loop's consumers."""

    def __init__(self) -> None:
        self.consumers: set[PricesConsumer] = set()
        self.task: asyncio.Task[None] | None = None
        self.channel: str | None = None
        self._snapshot: tuple[float, str] | None = None
        self._joined_at = 0.0
        self.keeper: asyncio.Task[None] | None = None

    def snapshot_recent(self) -> str | None:
        """The last prices seen by this process as a snapshot, while still current."""
        if self._snapshot is None:
            return None
        seen, text = self._snapshot
        return text if time.monotonic() - seen < settings.PRICE_BROADCAST_SECONDS else None

    def snapshot_keep(self, message: PricesMessage) -> str:
        text = json.dumps({**message, "type": "snapshot"})
        self._snapshot = (time.monotonic(), text)
        return text

    async def join(self, consumer: PricesConsumer) -> None:
        self.consumers.add(consumer)
        layer = get_channel_layer()
        if self.task is None or self.task.done():
            self.channel = await layer.new_channel()
            self.task = asyncio.create_task(self._relay(layer, self.channel))
            self.keeper = asyncio.create_task(self._keep_membership(layer, self.channel))
            self._joined_at = 0.0
        # Re-adding now and then keeps the membership from expiring on channels-redis.
        if time.monotonic() - self._joined_at > 60:
            self._joined_at = time.monotonic()
            await layer.group_add(feed.GROUP, self.channel)

    async def _keep_membership(self, layer: Any, channel: str) -> None:
        """While this process has sockets: every round, re-join the group and mark the
        listeners, whether or not a broadcast came. Both used to be renewed only by a
        join or a broadcast, so a Redis that lost them (restarted, flushed) left every
        open socket without prices (no member, so no broadcast; no mark, so the feed
        stopped) until another client connected."""
        while True:
            await asyncio.sleep(membership_renew_seconds())
            if not self.consumers:
                continue
            try:
                await layer.group_add(feed.GROUP, channel)
                await database_sync_to_async(feed.listeners_touch)()
            except Exception as error:  # Redis away: the next round tries again
                logger.warning("Could not renew the prices membership: %s", error)
            else:
                self._joined_at = time.monotonic()

    def leave(self, consumer: PricesConsumer) -> None:
        self.consumers.discard(consumer)

    async def _relay(self, layer: Any, channel: str) -> None:
        while True:
            try:
                event = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away: keep the relay, wait for it
                logger.warning("Prices relay could not receive: %s", error)
                await asyncio.sleep(1)
                continue
            if event.get("type") != "prices.broadcast" or not self.consumers:
                continue
            message: PricesMessage = {
                "type": "prices",
                "prices": event["prices"],
                "at": event["at"],
            }
            text = json.dumps(message)
            self.snapshot_keep(message)
            for consumer in list(self.consumers):
                try:
                    if consumer.coins is None:
                        await consumer.send(text_data=text)
                    else:
                        await consumer._send(message)
                except Exception:  # one broken client must not stop the others
                    logger.debug("Dropping a price update for a closed socket", exc_info=True)
            # After the sockets, not before: a round trip to Redis through the thread
            # pool is no part of the delay every client sees.
            await database_sync_to_async(feed.listeners_touch)()


def membership_renew_seconds() -> float:
    return settings.PRICE_BROADCAST_SECONDS


_fanouts: dict[asyncio.AbstractEventLoop, LocalFanout] = {}


def local_fanout() -> LocalFanout:
    loop = asyncio.get_running_loop()
    fanout = _fanouts.get(loop)
    if fanout is None:
        for stale in [other for other in _fanouts if other.is_closed()]:
            del _fanouts[stale]
        fanout = _fanouts[loop] = LocalFanout()
    return fanout


def _snapshot() -> PricesMessage:
    feed.listeners_touch()
    return feed.board_message(prices_board(), kind="snapshot")


class PricesConsumer(AsyncWebsocketConsumer):
    # Broadcasts reach a consumer through its process's LocalFanout, never through a
    # channel of its own: with no layer, Channels creates no channel and runs no second
    # receive task per socket (thousands of sockets share one process).
    channel_layer_alias = None
    coins: frozenset[str] | None = None

    async def connect(self) -> None:
        await self.accept()
        fanout = local_fanout()
        # Thousands of clients arriving at once share one snapshot instead of each
        # taking a trip through the thread pool to the cache.
        text = fanout.snapshot_recent()
        if text is None:
            text = fanout.snapshot_keep(await database_sync_to_async(_snapshot)())
        await self.send(text_data=text)
        await fanout.join(self)

    async def disconnect(self, code: int) -> None:
        local_fanout().leave(self)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = await message_receive(self, text_data, bytes_data)
        if message is None:  # malformed: the client has had its error, the socket stays
            return
        kind = message.get("type")
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

    async def _send(self, message: PricesMessage) -> None:
        if self.coins is not None:
            message = {**message, "prices": [p for p in message["prices"] if p["id"] in self.coins]}
        await self.send(text_data=json.dumps(message))

    async def _error(self, detail: str) -> None:
        await error_send(self, detail)
