"""``/ws/orders``: a fill on a price tick reaches its owner's socket, and only theirs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from cryptovault.asgi import application
from markets.tests.factories import PriceTickFactory
from trading.consumers import OrdersConsumer
from trading.services import on_tick, order_place
from trading.tests.factories import TraderFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("tracked_coins", "settings_trading", "close_executor_connections"),
]


async def socket_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(OrdersConsumer.as_asgi(), "/ws/orders")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@database_sync_to_async
def place_limit_and_fill(user) -> int:
    PriceTickFactory.create(coin_id="bitcoin", price=Decimal("50000"))
    order = order_place(
        user=user,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=Decimal("0.01"),
        limit_price=Decimal("49000"),
    ).order
    on_tick(prices={"bitcoin": Decimal("48000")}, at=datetime.now(UTC))
    return order.pk


async def test_a_fill_on_a_tick_is_pushed_to_the_owner_only():
    owner = await database_sync_to_async(TraderFactory.create)(email="owner@example.com")
    other = await database_sync_to_async(TraderFactory.create)(email="other@example.com")
    mine, theirs = await socket_for(owner), await socket_for(other)

    order_id = await place_limit_and_fill(owner)

    message = await mine.receive_json_from(timeout=5)
    assert message["type"] == "order"
    assert message["order"]["id"] == order_id
    assert message["order"]["status"] == "filled"
    assert message["order"]["average_price"] == "49000.00000000"
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_anonymous_sockets_are_refused():
    # given a handshake from our own page (so the origin check lets it through)
    # but without a session
    communicator = WebsocketCommunicator(
        application,
        "/ws/orders",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")],
    )

    # when it connects
    connected, code = await communicator.connect()

    # then the consumer itself refuses it, with the code the page stops retrying on
    assert not connected
    assert code == 4401
