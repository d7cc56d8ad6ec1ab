"""The relay sends a broadcast to its sockets before it marks the listeners in Redis."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest

from markets import feed
from markets.consumers import LocalFanout


class OneBroadcastLayer:
    def __init__(self) -> None:
        self.sent = False

    async def receive(self, channel: str) -> dict:
        if self.sent:
            await asyncio.Event().wait()  # nothing more
        self.sent = True
        return {"type": "prices.broadcast", "prices": [], "at": "2026-12-01T00:00:00+00:00"}


class Socket:
    coins = None

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def send(self, text_data: str) -> None:
        self.log.append("send")


@pytest.mark.django_db(transaction=True)
async def test_the_listeners_mark_waits_until_every_socket_has_the_prices():
    """Marking the listeners is a Redis round trip through the thread pool: done first,
    it was part of the delay every client saw."""
    log: list[str] = []
    fanout = LocalFanout()
    fanout.consumers = {Socket(log), Socket(log)}  # type: ignore[arg-type]
    touched = asyncio.Event()

    def touch() -> None:
        log.append("touch")
        touched.set()

    with mock.patch.object(feed, "listeners_touch", touch):
        relay = asyncio.create_task(fanout._relay(OneBroadcastLayer(), "channel"))
        await asyncio.wait_for(touched.wait(), 5)
        relay.cancel()

    assert log == ["send", "send", "touch"]
