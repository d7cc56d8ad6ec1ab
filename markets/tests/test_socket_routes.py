"""Which websockets carry the session user: the public prices socket does not."""

from __future__ import annotations

from unittest import mock

import pytest
from channels.testing import WebsocketCommunicator

from cryptovault.asgi import application
from markets.consumers import PricesConsumer
from trading.consumers import OrdersConsumer

SAME_ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


async def _scope_keys(consumer: type, path: str) -> set[str]:
    seen: list[set[str]] = []

    async def connect(self) -> None:
        seen.append(set(self.scope))
        await self.close()

    with mock.patch.object(consumer, "connect", connect):
        communicator = WebsocketCommunicator(application, path, headers=SAME_ORIGIN)
        await communicator.connect()
        await communicator.disconnect()
    assert seen, f"{path} did not reach {consumer.__name__}"
    return seen[0]


@pytest.mark.django_db(transaction=True)
async def test_the_prices_socket_skips_the_session_and_the_user():
    """10,000 public sockets across the ws processes: no session or user lookup and
    ~4 KB less memory each (bench/markets_ws.py --topology)."""
    keys = await _scope_keys(PricesConsumer, "/ws/prices")

    assert "session" not in keys
    assert "user" not in keys


@pytest.mark.django_db(transaction=True)
async def test_the_orders_socket_still_carries_the_session_user():
    keys = await _scope_keys(OrdersConsumer, "/ws/orders")

    assert {"session", "user"} <= keys
