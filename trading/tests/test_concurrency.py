"""Concurrency on PostgreSQL: row locks keep balances right under racing writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections

from markets.tests.factories import PriceTickFactory
from trading.models import Balance, LedgerEntry, Order
from trading.services import TradingError, on_tick, order_cancel, order_place
from trading.tests.factories import TraderFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tracked_coins", "settings_trading"),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (SQLite serialises every writer)")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """These tests race dozens of one user's orders at the row locks; the order limit
    (20 a minute per user, counted in order_place) would refuse most of them before
    they got there. Limits have tests of their own (test_api, test_pages)."""
    settings.RATELIMIT_ENABLE = False


def run_in_threads(count: int, work) -> list[object]:
    results: list[object] = []
    barrier = threading.Barrier(count)

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results.append(work(index))
        except Exception as error:  # collected and asserted on by the test
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_racing_buys_never_overdraw_one_balance():
    trader = TraderFactory.create()
    PriceTickFactory.create(coin_id="bitcoin", price=Decimal("1000"))
    # 10000 USD buys at most 9 orders of 1 BTC at 1000 (+1 fee each)

    results = run_in_threads(
        50,
        lambda i: order_place(
            user=trader, coin_id="bitcoin", side="buy", type="market", quantity=Decimal("1")
        ),
    )

    filled = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, TradingError)]
    assert len(filled) == 9
    assert len(refused) == 41 and {r.code for r in refused} == {"insufficient_funds"}
    usd = Balance.objects.get(user=trader, asset="USD")
    assert usd.available == Decimal("10000") - 9 * Decimal("1001")
    assert Balance.objects.get(user=trader, asset="bitcoin").available == Decimal("9")
    call_command("check_ledger")


def test_racing_retries_with_one_client_order_id_place_one_order():
    trader = TraderFactory.create()
    PriceTickFactory.create(coin_id="bitcoin", price=Decimal("1000"))

    results = run_in_threads(
        10,
        lambda i: (
            order_place(
                user=trader,
                coin_id="bitcoin",
                side="buy",
                type="market",
                quantity=Decimal("1"),
                client_order_id="same",
            ).order.pk
        ),
    )

    assert len(set(results)) == 1
    assert Order.objects.count() == 1
    call_command("check_ledger")


def test_racing_requests_with_one_client_order_id_and_two_bodies_place_one_order():
    # given a trader
    trader = TraderFactory.create()
    PriceTickFactory.create(coin_id="bitcoin", price=Decimal("1000"))

    # when ten requests race with one client_order_id, half for 1 BTC and half for 2
    def work(index: int) -> tuple[Decimal, object]:
        quantity = Decimal(1 + index % 2)
        try:
            placed = order_place(
                user=trader,
                coin_id="bitcoin",
                side="buy",
                type="market",
                quantity=quantity,
                client_order_id="same",
            )
        except TradingError as error:
            return quantity, error.code
        return quantity, placed.order.pk

    results = run_in_threads(10, work)

    # then one order is placed; the requests with its body get it, the others a conflict
    order = Order.objects.get()
    outcomes = [result for result in results if isinstance(result, tuple)]
    assert len(outcomes) == 10  # no request failed otherwise
    for quantity, outcome in outcomes:
        assert outcome == (order.pk if quantity == order.quantity else "idempotency_conflict")
    assert Balance.objects.get(user=trader, asset="bitcoin").available == order.quantity
    call_command("check_ledger")


def test_a_cancel_racing_a_fill_settles_once():
    for round_ in range(5):
        trader = TraderFactory.create(email=f"race{round_}@example.com")
        PriceTickFactory.create(coin_id="bitcoin", price=Decimal("1000"))
        order = order_place(
            user=trader,
            coin_id="bitcoin",
            side="buy",
            type="limit",
            quantity=Decimal("1"),
            limit_price=Decimal("900"),
        ).order

        def work(index: int, trader=trader, order=order) -> object:
            if index == 0:
                return on_tick(prices={"bitcoin": Decimal("850")}, at=datetime.now(UTC))
            try:
                return order_cancel(user=trader, order_id=order.pk).status
            except TradingError as error:
                return error.code

        run_in_threads(2, work)

        order.refresh_from_db()
        assert order.status in ("filled", "cancelled")
        usd = Balance.objects.get(user=trader, asset="USD")
        btc = Balance.objects.filter(user=trader, asset="bitcoin").first()
        assert usd.held == 0
        if order.status == "filled":
            assert usd.available == Decimal("10000") - Decimal("900.9")
            assert btc is not None and btc.available == Decimal("1")
        else:
            assert usd.available == Decimal("10000")
            assert btc is None or btc.available == 0
        assert LedgerEntry.objects.filter(order=order, kind="release").count() == 1
    call_command("check_ledger")
