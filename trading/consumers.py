"""``/ws/orders``: a logged-in user's open pages hear about their orders' changes.

Each user has a group ``orders.<user id>``; the services announce a changed order
after the transaction that changed it commits (a fill on a tick, a cancel elsewhere)
and ``orders_push`` sends it there.

A socket outlives the HTTP request that opened it: the session it was opened with
is checked again every ``WS_SESSION_RECHECK_SECONDS``, and once that session has
ended (logout, a password change or reset elsewhere, a deactivated account) the
socket is closed with 1008, so a signed-out browser stops hearing about the orders.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Coroutine
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.auth import get_user
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from cryptovault.websocket import error_send, message_receive
from trading.models import Order
from trading.serializers import OrderSerializer

logger = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS = 2.0


def group_for(user_id: int) -> str:
    return f"orders.{user_id}"


_serializer: Any = None


class _SendLoop:
    """One event loop per process, on a daemon thread, that sends to the channel layer
    for threads that have no loop of their own (gunicorn's WSGI threads, the feed).

    ``async_to_sync`` there makes a new event loop for every call, and the Redis layer
    (whose connections belong to a loop) a new connection each time: a few
    milliseconds and a connect per order. This loop keeps its connections. The
    caller still waits for the send (bounded), so a failure is logged in its request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine: Coroutine[Any, Any, None], timeout: float) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running())
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked child starts anew
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="channel-layer-sends", daemon=True
                ).start()
            return self._loop


_send_loop = _SendLoop()


def orders_push(sender: object, *, orders: list[Order], **kwargs: Any) -> None:
    """Receiver of ``cryptovault.events.orders_changed`` (connected in TradingConfig):
    send each order to its owner's group, one trip into an event loop for all.

    A notification, sent after the commit: when the channel layer (Redis) cannot take
    it, the order has still changed, so the failure is logged and the request that
    changed it answers as usual (SPEC §6); open pages catch up on their next load.
    The in-memory layer (the embedded mode) lives in its server's loop, which
    ``async_to_sync`` hands the send to; a shared layer is sent to through this
    process's own loop (``_SendLoop``).
    """
    global _serializer
    layer = get_channel_layer()
    if layer is None or not orders:
        return
    if _serializer is None:  # its fields are built once, not per fill
        _serializer = OrderSerializer()
    messages = [
        (
            group_for(order.user_id),
            {"type": "order.changed", "order": _serializer.to_representation(order)},
        )
        for order in orders
    ]

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    async def send_all_bounded() -> None:
        # A Redis that does not answer must not hold the request for long.
        await asyncio.wait_for(send_all(), timeout=NOTIFY_TIMEOUT_SECONDS)

    try:
        if isinstance(layer, InMemoryChannelLayer):
            async_to_sync(send_all_bounded)()
        else:
            _send_loop.run(send_all(), NOTIFY_TIMEOUT_SECONDS)
    except Exception as error:  # the order changed all the same; only the news is lost
        logger.warning(
            "Order changes not sent to websockets (%d order(s)): %s: %s",
            len(messages),
            error.__class__.__name__,
            error,
        )


async def _session_user_id(scope: dict[str, Any]) -> int | None:
    """Who the socket's session logs in now: read afresh from the session store, with
    Django's session hash check (a password change ends the other sessions)."""
    session = scope.get("session")
    session_key = getattr(session, "session_key", None)
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = await get_user({"session": store})
    return int(user.pk) if user.is_authenticated else None


class OrdersConsumer(AsyncJsonWebsocketConsumer):
    """A logged-in user's socket in their orders group; the client may only ping."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.session_watch = asyncio.create_task(self._session_watch(user.pk))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "session_watch"):
            self.session_watch.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _session_watch(self, user_id: int) -> None:
        """Close the socket (1008, policy) once the session that opened it has ended."""
        while True:
            await asyncio.sleep(settings.WS_SESSION_RECHECK_SECONDS)
            if await _session_user_id(self.scope) != user_id:
                with contextlib.suppress(Exception):  # the client may be gone already
                    await self.close(code=1008)
                return

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # Channels' JSON reading raises on a binary frame or malformed text, which
        # closes the socket with 1011; the shared reading answers an error instead.
        message = await message_receive(self, text_data, bytes_data)
        if message is not None:
            await self.receive_json(message, **kwargs)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await error_send(self, "Unknown message type; use ping.")

    async def order_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "order", "order": event["order"]})
