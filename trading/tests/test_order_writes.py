"""Placing an order writes everything at once (issue 15 item 4): few round trips, the
same rows as ever, on PostgreSQL (one statement) and SQLite (the ORM) alike."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from markets import services as markets_services
from markets.tests.factories import PriceTickFactory
from trading import consumers, order_rules
from trading.models import Balance, LedgerEntry, Order
from trading.services import TradingError, order_place, order_write

pytestmark = pytest.mark.django_db

MARKET_BUY = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"}

# The whole request of a market order, its token checked: the token's revocation and
# its user (as every API request), then BEGIN, the balances locked, the writes, COMMIT.
# On PostgreSQL the lock reads the price too (one SELECT ... FOR UPDATE) and the writes
# are one statement (the order, its four ledger rows, both balances, the audit row);
# elsewhere the price is its own query and the writes four through the ORM. It was 18
# on both before the writes were batched.
MAX_QUERIES = {"postgresql": 6}
MAX_QUERIES_ELSEWHERE = 11


def test_a_market_order_is_a_few_queries_whatever_it_writes(
    trader_api, django_assert_max_num_queries
):
    assert trader_api.post("/api/orders", MARKET_BUY, format="json").status_code == 201
    limit = MAX_QUERIES.get(connection.vendor, MAX_QUERIES_ELSEWHERE)
    with django_assert_max_num_queries(limit):
        answer = trader_api.post("/api/orders", MARKET_BUY, format="json")
    assert answer.status_code == 201, answer.content
    call_command("check_ledger")


def test_an_order_writes_its_row_its_entries_in_order_its_balances_and_its_audit_event(
    trader_api, trader
):
    # when the trader buys at the market, then offers half of it at a limit
    bought = trader_api.post(
        "/api/orders", {**MARKET_BUY, "client_order_id": "b-1"}, format="json"
    ).json()
    offered = trader_api.post(
        "/api/orders",
        {"coin": "bitcoin", "side": "sell", "type": "limit", "quantity": "0.005"}
        | {"limit_price": "60000"},
        format="json",
    ).json()

    # then the buy is filled at 50,000 with its fee, its entries in the order posted
    buy = Order.objects.get(pk=bought["id"])
    assert (buy.status, buy.filled_quantity, buy.average_price, buy.fee) == (
        "filled",
        D("0.01"),
        D("50000"),
        D("0.5"),
    )
    assert buy.client_order_id == "b-1" and buy.filled_at is not None
    assert bought["status"] == "filled" and bought["fee"] == "0.50000000"
    entries = list(LedgerEntry.objects.filter(order=buy).order_by("id"))
    assert [(e.asset, e.kind, e.amount, e.balance_after) for e in entries] == [
        ("USD", "trade", D("-500"), D("9500")),
        ("USD", "fee", D("-0.5"), D("9499.5")),
        ("bitcoin", "trade", D("0.01"), D("0.01")),
    ]
    # ...the sell holds what it offers
    sell = Order.objects.get(pk=offered["id"])
    assert (sell.status, sell.held_amount) == ("open", D("0.005"))
    hold = LedgerEntry.objects.get(order=sell)
    assert (hold.asset, hold.kind, hold.amount, hold.balance_after) == (
        "bitcoin",
        "hold",
        D("-0.005"),
        D("0.005"),
    )
    balances = {b.asset: (b.available, b.held) for b in Balance.objects.filter(user=trader)}
    assert balances == {"USD": (D("9499.5"), D("0")), "bitcoin": (D("0.005"), D("0.005"))}
    # ...and each order's audit event names it, with the request's address and id
    events = AuditEvent.objects.filter(action__in=["order_filled", "order_placed"])
    audited = {(e.action, e.user_id, e.ip, bool(e.request_id)): e.data for e in events}
    assert audited == {
        ("order_filled", trader.pk, "127.0.0.1", True): {
            "order": buy.pk,
            "side": "buy",
            "type": "market",
            "coin": "bitcoin",
        },
        ("order_placed", trader.pk, "127.0.0.1", True): {
            "order": sell.pk,
            "side": "sell",
            "type": "limit",
            "coin": "bitcoin",
        },
    }
    call_command("check_ledger")


def test_a_retry_gets_its_first_order_even_when_it_could_not_be_placed_now(trader, prices):
    def buy(quantity: str, client_order_id: str | None = None):
        return order_place(
            user=trader,
            coin_id="bitcoin",
            side="buy",
            type="market",
            quantity=D(quantity),
            client_order_id=client_order_id,
        )

    # given a market buy of 0.1 BTC placed with a client_order_id, then most of the
    # dollars left spent (10,000 - 5,005 - 4,504.50 = 490.50)
    first = buy("0.1", "r-1").order
    buy("0.09")
    entries = LedgerEntry.objects.count()

    # when the first request is retried, which the money left could not pay now
    again = buy("0.1", "r-1")

    # then it is the first order, and nothing was written
    assert (again.created, again.order.pk) == (False, first.pk)
    assert LedgerEntry.objects.count() == entries
    # while the same order without the id is refused
    with pytest.raises(TradingError) as raised:
        buy("0.1")
    assert raised.value.code == "insufficient_funds"
    assert LedgerEntry.objects.count() == entries


def test_a_price_older_than_a_refresh_period_is_refreshed_with_no_lock_held(trader, monkeypatch):
    # given bitcoin's only price, quoted two refresh periods ago less a second (not
    # stale yet, but due for a refresh)
    PriceTickFactory.create(
        coin_id="bitcoin",
        price=D("50000"),
        at=timezone.now() - timedelta(seconds=2 * settings.PRICE_REFRESH_SECONDS - 1),
    )
    depth_outside = len(connection.atomic_blocks)
    seen = []

    def refresh(*, coin_id: str):
        seen.append(len(connection.atomic_blocks))
        PriceTickFactory.create(coin_id=coin_id, price=D("51000"))  # what the board got
        return markets_services.coin_price_latest(coin_id=coin_id)

    monkeypatch.setattr(order_rules, "coin_price_fresh", refresh)

    # when a market buy is placed
    order = order_place(
        user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.01")
    ).order

    # then the price was refreshed outside the order's transaction, and the order
    # filled at the refreshed price
    assert seen == [depth_outside]
    assert (order.status, order.average_price) == ("filled", D("51000"))
    call_command("check_ledger")


def test_a_coin_id_that_is_no_coin_id_is_a_400_naming_coin(trader_api):
    for coin in ("BIT COIN", "Bitcoin", "x" * 64):
        answer = trader_api.post("/api/orders", {**MARKET_BUY, "coin": coin}, format="json")
        assert answer.status_code == 400, (coin, answer.content)
        assert answer.json()["code"] == "unknown_coin"
        assert "coin" in answer.json()["errors"]


class _SharedLayer:
    """A channel layer that is not the in-memory one (as Redis is not): it records the
    event loop and thread each send ran in."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, object, object]] = []
        self.fail = fail

    async def group_send(self, group: str, message: dict) -> None:
        if self.fail:
            raise ConnectionError("Redis is away")
        self.sent.append((group, asyncio.get_running_loop(), threading.current_thread()))


def test_order_news_on_a_shared_layer_goes_through_one_loop_of_the_process(
    trader_api, trader, monkeypatch, django_capture_on_commit_callbacks
):
    # given a shared channel layer
    layer = _SharedLayer()
    monkeypatch.setattr(consumers, "get_channel_layer", lambda: layer)

    # when three orders are placed
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            answer = trader_api.post("/api/orders", MARKET_BUY, format="json")
        assert answer.status_code == 201

    # then each was sent, in this process's one sending loop (not a new loop per order,
    # which would cost Redis a new connection each time), off the request's thread
    assert len(layer.sent) == 3
    assert {group for group, _, _ in layer.sent} == {f"orders.{trader.pk}"}
    assert len({loop for _, loop, _ in layer.sent}) == 1
    assert threading.current_thread() not in {thread for _, _, thread in layer.sent}


def test_order_news_that_cannot_be_sent_is_logged_and_the_order_stands(
    trader_api, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(consumers, "get_channel_layer", lambda: _SharedLayer(fail=True))
    with (
        caplog.at_level(logging.WARNING, logger="trading.consumers"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer = trader_api.post("/api/orders", MARKET_BUY, format="json")
    assert answer.status_code == 201
    assert Order.objects.get().status == "filled"
    assert any("Order changes not sent" in r.getMessage() for r in caplog.records)


def test_a_market_order_statement_has_few_enough_parameters_to_be_parsed_once():
    # psycopg keeps the parsing of a statement with at most 50 parameters
    # (MAX_CACHED_STATEMENT_PARAMS); past that it parses it again on every order. A
    # market order writes the order, three ledger entries and two balances.
    assert order_write._statement(3, 2).count("%s") <= 50
