"""``/ws/prices`` through Channels' WebsocketCommunicator on the configured layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from cryptovault.asgi import application

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("tracked_coins", "close_executor_connections"),
]

HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


async def connected() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/prices", headers=HEADERS)
    ok, _ = await communicator.connect()
    assert ok
    return communicator


async def test_snapshot_at_once():
    communicator = await connected()

    message = await communicator.receive_json_from(timeout=5)

    assert message["type"] == "snapshot"
    assert len(message["prices"]) == 10
    assert message["prices"][0]["source"] == "simulated"
    await communicator.disconnect()


async def test_broadcast_reaches_the_client_and_subscribe_narrows_it():
    communicator = await connected()
    await communicator.receive_json_from(timeout=5)
    prices = [
        {"id": "bitcoin", "price_usd": "1.00000000"},
        {"id": "ethereum", "price_usd": "2.00000000"},
    ]

    await get_channel_layer().group_send(
        "prices", {"type": "prices.broadcast", "prices": prices, "at": "2026-11-28T12:00:00+00:00"}
    )
    message = await communicator.receive_json_from(timeout=5)
    assert message == {"type": "prices", "prices": prices, "at": "2026-11-28T12:00:00+00:00"}

    await communicator.send_json_to({"type": "subscribe", "coins": ["ethereum"]})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
    await get_channel_layer().group_send(
        "prices", {"type": "prices.broadcast", "prices": prices, "at": "2026-11-28T12:00:10+00:00"}
    )
    narrowed = await communicator.receive_json_from(timeout=5)
    assert [p["id"] for p in narrowed["prices"]] == ["ethereum"]
    await communicator.disconnect()


async def test_ping_pong_and_malformed_input_keeps_the_connection():
    communicator = await connected()
    await communicator.receive_json_from(timeout=5)

    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    await communicator.send_json_to({"type": "subscribe", "coins": "bitcoin"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    await communicator.send_json_to({"type": "dance"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


async def test_disconnect_leaves_the_group():
    communicator = await connected()
    await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()

    layer = get_channel_layer()
    await layer.group_send("prices", {"type": "prices.broadcast", "prices": [], "at": "x"})
    assert await communicator.receive_nothing(timeout=0.2)


async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application,
        "/ws/prices",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"localhost")],
    )
    ok, _ = await communicator.connect()
    assert not ok


async def test_a_lost_membership_and_listening_mark_come_back_without_a_new_client(
    monkeypatch,
):
    """A Redis restarted or flushed loses the process's group membership and the
    listening mark: open sockets must get prices again within a round, not when the
    next client connects (issue 15's 10,000-socket bench lost a whole run this way)."""
    from django.core.cache import cache

    from markets import consumers, feed

    monkeypatch.setattr(consumers, "membership_renew_seconds", lambda: 0.2)
    communicator = await connected()
    await communicator.receive_json_from(timeout=5)
    layer = get_channel_layer()
    fanout = consumers.local_fanout()

    # Redis forgets: the member leaves the group and the mark is gone.
    await layer.group_discard("prices", fanout.channel)
    await database_sync_to_async(cache.delete)(feed.LISTENING_KEY)
    await asyncio.sleep(0.6)

    assert await database_sync_to_async(feed.listeners_present)()
    await layer.group_send("prices", {"type": "prices.broadcast", "prices": [], "at": "y"})
    assert (await communicator.receive_json_from(timeout=5))["at"] == "y"
    await communicator.disconnect()
