"""The trading rules with exact Decimal results (SPEC §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from markets.tests.factories import PriceTickFactory
from trading import selectors, services
from trading.models import Balance, LedgerEntry, Order
from trading.services import TradingError, on_tick, order_cancel, order_place
from trading.tests.factories import OrderFactory, TraderFactory

pytestmark = pytest.mark.django_db
D = Decimal


def balance(user, asset: str) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(user=user, asset=asset)
    return row.available, row.held


def test_a_verified_user_is_funded_once(trader):
    assert balance(trader, "USD") == (D("10000"), D("0"))
    assert services.account_fund_initial(user=trader) == 0
    assert LedgerEntry.objects.filter(user=trader, kind="deposit").count() == 1


def test_market_buy_costs_quantity_times_price_plus_fee(trader, prices):
    placed = order_place(
        user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.1")
    )

    order = placed.order
    assert order.status == "filled"
    assert order.average_price == D("50000")
    assert order.fee == D("5")  # 5000 x 0.001
    assert balance(trader, "USD") == (D("4995"), D("0"))  # 10000 - 5000 - 5
    assert balance(trader, "bitcoin") == (D("0.1"), D("0"))
    kinds = list(
        LedgerEntry.objects.filter(order=order)
        .order_by("id")
        .values_list("kind", "asset", "amount")
    )
    assert kinds == [
        ("trade", "USD", D("-5000")),
        ("fee", "USD", D("-5")),
        ("trade", "bitcoin", D("0.1")),
    ]


def test_market_buy_by_quote_amount_spends_at_most_the_amount(trader, prices):
    order = order_place(
        user=trader, coin_id="ethereum", side="buy", type="market", quote_amount=D("1000")
    ).order

    # 1000 / (2000 x 1.001) = 0.49950049... → 0.49950049 ETH
    assert order.quantity == D("0.49950049")
    assert order.fee == D("0.99900098")
    spent = D("10000") - balance(trader, "USD")[0]
    assert spent == D("999.00098") + D("0.99900098")  # 0.49950049 x 2000 + fee
    assert spent <= D("1000")


def test_market_sell_yields_quantity_times_price_minus_fee_and_realized_pnl(trader, prices):
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    PriceTickFactory.create(coin_id="bitcoin", price=D("60000"))

    sell = order_place(
        user=trader, coin_id="bitcoin", side="sell", type="market", quantity=D("0.05")
    ).order

    assert sell.fee == D("3")  # 3000 x 0.001
    # cash: 10000 - 5000 - 5 + 3000 - 3
    assert balance(trader, "USD") == (D("7992"), D("0"))
    portfolio = selectors.portfolio_for(user=trader)
    # cost 5005 for 0.1 (fee included): the 0.05 sold had a basis of 2502.5; proceeds 2997
    assert portfolio.realized_pnl == D("494.5")
    holding = portfolio.holdings[0]
    assert holding["quantity"] == D("0.05")
    assert holding["average_cost"] == D("50050")
    assert holding["value"] == D("3000")
    assert holding["unrealized_pnl"] == D("497.5")
    assert holding["unrealized_pnl_pct"] == D("19.8801")
    assert portfolio.total_value_usd == D("10992")
    assert portfolio.cash_usd == D("7992")
    assert holding["allocation_pct"] == D("27.2926")


def test_insufficient_funds_writes_nothing(trader, prices):
    before = LedgerEntry.objects.count()

    with pytest.raises(TradingError) as raised:
        order_place(user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("1"))

    assert raised.value.code == "insufficient_funds"
    assert LedgerEntry.objects.count() == before
    assert not Order.objects.exists()
    assert balance(trader, "USD") == (D("10000"), D("0"))


def test_selling_what_you_do_not_have_is_insufficient_funds(trader, prices):
    with pytest.raises(TradingError) as raised:
        order_place(user=trader, coin_id="bitcoin", side="sell", type="market", quantity=D("0.01"))
    assert raised.value.code == "insufficient_funds"


def test_a_price_older_than_two_refresh_periods_is_refused(trader, settings):
    settings.PRICE_SOURCE = "coingecko"  # and CoinGecko unreachable: no fresher price
    PriceTickFactory.create(
        coin_id="bitcoin", price=D("50000"), at=datetime.now(UTC) - timedelta(seconds=121)
    )

    with pytest.raises(TradingError) as raised:
        order_place(user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.01"))
    assert raised.value.code == "price_unavailable"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"coin_id": "dogecoin-classic"}, "unknown_coin"),
        ({"quantity": D("0")}, "invalid_quantity"),
        ({"quantity": D("-1")}, "invalid_quantity"),
        ({"quantity": D("0.000000001")}, "invalid_quantity"),
        ({"type": "limit"}, "invalid_price"),
        ({"quantity": None, "quote_amount": D("10"), "side": "sell"}, "invalid_quantity"),
    ],
)
def test_bad_orders_are_refused_with_a_code(trader, prices, changes, code):
    values = {
        "coin_id": "bitcoin",
        "side": "buy",
        "type": "market",
        "quantity": D("0.01"),
        **changes,
    }

    with pytest.raises(TradingError) as raised:
        order_place(user=trader, **values)
    assert raised.value.code == code


def test_limit_buy_holds_funds_and_fills_on_a_touching_tick(trader, prices):
    order = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.1"),
        limit_price=D("45000"),
    ).order
    assert order.status == "open"
    assert balance(trader, "USD") == (D("5495.5"), D("4504.5"))  # 4500 + 4.5 fee held

    assert on_tick(prices={"bitcoin": D("45000.01")}, at=datetime.now(UTC)) == 0
    assert on_tick(prices={"bitcoin": D("45000")}, at=datetime.now(UTC)) == 1

    order.refresh_from_db()
    assert order.status == "filled" and order.average_price == D("45000") and order.fee == D("4.5")
    assert balance(trader, "USD") == (D("5495.5"), D("0"))
    assert balance(trader, "bitcoin") == (D("0.1"), D("0"))


def test_limit_sell_fills_when_the_price_crosses_above(trader, prices):
    OrderFactory.create(user=trader, coin_id="ethereum", quantity=D("1"))
    sell = order_place(
        user=trader,
        coin_id="ethereum",
        side="sell",
        type="limit",
        quantity=D("1"),
        limit_price=D("2100"),
    ).order
    assert balance(trader, "ethereum") == (D("0"), D("1"))

    on_tick(prices={"ethereum": D("2099")}, at=datetime.now(UTC))
    sell.refresh_from_db()
    assert sell.status == "open"
    on_tick(prices={"ethereum": D("2150")}, at=datetime.now(UTC))
    sell.refresh_from_db()
    assert sell.status == "filled" and sell.average_price == D("2100") and sell.fee == D("2.1")
    # 10000 - 2000 - 2 + 2100 - 2.1
    assert balance(trader, "USD") == (D("10095.9"), D("0"))


def test_stop_sell_triggers_at_the_tick_price(trader, prices):
    OrderFactory.create(user=trader, coin_id="ethereum", quantity=D("2"))
    stop = order_place(
        user=trader,
        coin_id="ethereum",
        side="sell",
        type="stop",
        quantity=D("2"),
        stop_price=D("1900"),
    ).order

    on_tick(prices={"ethereum": D("1950")}, at=datetime.now(UTC))
    stop.refresh_from_db()
    assert stop.status == "open"
    on_tick(prices={"ethereum": D("1880")}, at=datetime.now(UTC))
    stop.refresh_from_db()
    assert stop.status == "filled" and stop.average_price == D("1880")


def test_stop_buy_triggers_when_the_price_rises_to_the_stop(trader, prices):
    stop = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="stop",
        quantity=D("0.01"),
        stop_price=D("55000"),
    ).order

    on_tick(prices={"bitcoin": D("54000")}, at=datetime.now(UTC))
    stop.refresh_from_db()
    assert stop.status == "open"
    on_tick(prices={"bitcoin": D("55500")}, at=datetime.now(UTC))
    stop.refresh_from_db()
    assert stop.status == "filled" and stop.average_price == D("55500")
    assert balance(trader, "USD") == (D("10000") - D("555") - D("0.555"), D("0"))


def test_a_cancelled_order_releases_its_hold_and_never_fills(trader, prices):
    order = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.1"),
        limit_price=D("45000"),
    ).order

    order_cancel(user=trader, order_id=order.pk)
    assert on_tick(prices={"bitcoin": D("40000")}, at=datetime.now(UTC)) == 0

    order.refresh_from_db()
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert balance(trader, "USD") == (D("10000"), D("0"))
    with pytest.raises(TradingError) as raised:
        order_cancel(user=trader, order_id=order.pk)
    assert raised.value.code == "not_cancellable" and raised.value.status_code == 409


def test_another_users_order_cannot_be_cancelled(trader, other_trader, prices):
    order = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.1"),
        limit_price=D("45000"),
    ).order

    with pytest.raises(TradingError) as raised:
        order_cancel(user=other_trader, order_id=order.pk)
    assert raised.value.status_code == 404


def test_a_repeated_client_order_id_returns_the_first_order(trader, prices):
    first = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="market",
        quantity=D("0.01"),
        client_order_id="abc-1",
    )
    again = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="market",
        quantity=D("0.01"),
        client_order_id="abc-1",
    )

    assert first.created and not again.created
    assert again.order.pk == first.order.pk
    assert Order.objects.count() == 1
    assert balance(trader, "bitcoin") == (D("0.01"), D("0"))


def test_orders_waiting_for_price_follows_open_orders(trader, prices):
    assert selectors.orders_waiting_for_price() is False
    order = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("1"),  # at $1: the smallest order (MIN_ORDER_USD)
        limit_price=D("1"),
    ).order
    assert selectors.orders_waiting_for_price() is True
    order_cancel(user=trader, order_id=order.pk)
    assert selectors.orders_waiting_for_price() is False


def test_check_ledger_passes_then_fails_on_a_tampered_balance(trader, prices, capsys):
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="sell",
        type="limit",
        quantity=D("0.05"),
        limit_price=D("100"),  # $5, above the smallest order
    )

    call_command("check_ledger")
    assert "Ledger OK" in capsys.readouterr().out

    Balance.objects.filter(user=trader, asset="USD").update(available=D("999999"))
    with pytest.raises(CommandError, match="disagree"):
        call_command("check_ledger")


def test_check_ledger_fails_on_a_tampered_entry(trader, prices):
    entry = LedgerEntry.objects.get(user=trader, kind="deposit")
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("10001"))

    with pytest.raises(CommandError):
        call_command("check_ledger")


def test_a_triggered_stop_that_cannot_be_paid_is_rejected_and_released(trader, prices):
    stop = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="stop",
        quantity=D("0.18"),
        stop_price=D("50000"),
    ).order
    assert balance(trader, "USD") == (D("991"), D("9009"))  # 9000 + 9 fee held

    assert on_tick(prices={"bitcoin": D("60000")}, at=datetime.now(UTC)) == 0  # would cost 10810.8

    stop.refresh_from_db()
    assert stop.status == "rejected"
    assert "Not enough USD" in stop.reject_reason
    assert balance(trader, "USD") == (D("10000"), D("0"))
    call_command("check_ledger")


def test_one_tick_fills_many_orders_of_many_users_in_order(trader, other_trader, prices):
    orders = [
        order_place(
            user=user,
            coin_id="ethereum",
            side="buy",
            type="limit",
            quantity=D("1"),
            limit_price=limit,
        ).order
        for user in (trader, other_trader)
        for limit in (D("1900"), D("1800"), D("1700"))
    ]

    assert on_tick(prices={"ethereum": D("1800")}, at=datetime.now(UTC)) == 4

    statuses = [Order.objects.get(pk=o.pk).status for o in orders]
    assert statuses == ["filled", "filled", "open", "filled", "filled", "open"]
    # 10000 - (1900 + 1.9) - (1800 + 1.8), the 1700 order still holding 1701.7
    assert balance(trader, "USD") == (D("4594.6"), D("1701.7"))
    assert balance(trader, "ethereum") == (D("2"), D("0"))
    call_command("check_ledger")


def test_portfolio_value_over_time_follows_fills_and_prices(trader, prices):
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    PriceTickFactory.create(coin_id="bitcoin", price=D("60000"))

    history = selectors.portfolio_history(user=trader, points=10)

    assert len(history) == 10
    assert history[0][1] == pytest.approx(10000)  # the deposit, before any trade
    assert history[-1][1] == pytest.approx(4995 + 6000)  # cash + 0.1 BTC at 60,000
    assert [point[0] for point in history] == sorted(point[0] for point in history)


# --- amounts the ledger cannot hold (issue 11 item 2) -------------------------------


def ledger_snapshot() -> tuple[int, int, list[tuple[str, Decimal, Decimal]]]:
    rows = Balance.objects.order_by("user_id", "asset").values_list("asset", "available", "held")
    return LedgerEntry.objects.count(), Order.objects.count(), list(rows)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # 10^16 BTC at 50,000: 5 x 10^20 USD, more than a money column holds (< 10^20)
        ({"side": "sell", "quantity": D("10000000000000000")}, "quantity"),
        # a limit buy of 10^6 at 10^14: 10^20 USD plus the fee
        ({"type": "limit", "quantity": D("1000000"), "limit_price": D("1e14")}, "quantity"),
        ({"type": "stop", "quantity": D("1000000"), "stop_price": D("1e14")}, "quantity"),
        (
            {"side": "sell", "type": "stop", "quantity": D("1e6"), "stop_price": D("1e14")},
            "quantity",
        ),
        # the largest quantity a column holds, at any price above 1
        ({"quantity": D("99999999999999999999.99999999")}, "quantity"),
        # what no column holds at all (the service is the last line, behind the API and the form)
        ({"quantity": D("1e20")}, "quantity"),
        ({"type": "limit", "limit_price": D("1e20")}, "limit_price"),
    ],
)
def test_an_order_worth_more_than_the_ledger_holds_is_refused_naming_the_field(
    trader, prices, changes, field
):
    # given a funded trader and fresh prices
    before = ledger_snapshot()
    values = {"coin_id": "bitcoin", "side": "buy", "type": "market", "quantity": D("1")}

    # when they place an order whose value cannot be stored
    with pytest.raises(TradingError) as raised:
        order_place(user=trader, **{**values, **changes})

    # then it is a 400 naming the field, and nothing is written
    assert raised.value.code == "too_large"
    assert raised.value.status_code == 400
    assert raised.value.field == field
    assert ledger_snapshot() == before
    call_command("check_ledger")


def test_a_quote_amount_that_buys_more_coins_than_the_ledger_holds_is_refused(trader):
    # given a coin at the smallest price a tick stores
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.00000001"))

    # when a market buy spends 10^13 USD on it (about 10^21 coins)
    with pytest.raises(TradingError) as raised:
        order_place(
            user=trader,
            coin_id="dogecoin",
            side="buy",
            type="market",
            quote_amount=D("10000000000000"),
        )

    # then the quote amount is named, and nothing is written
    assert (raised.value.code, raised.value.field) == ("too_large", "quote_amount")
    assert not Order.objects.exists()
    call_command("check_ledger")


def test_a_sale_that_would_overflow_the_usd_balance_is_refused_and_writes_nothing(
    settings_trading, db
):
    # given a trader whose USD balance is 10^13 short of the most a column holds (round
    # numbers: SQLite keeps 15 significant digits of a NUMERIC column)
    settings_trading.DEMO_STARTING_BALANCE_USD = D("99999999999990000000")
    trader = TraderFactory.create()
    PriceTickFactory.create(coin_id="bitcoin", price=D("10000000000000"))
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("1"))
    assert balance(trader, "USD") == (D("99999989989990000000"), D("0"))
    PriceTickFactory.create(coin_id="bitcoin", price=D("20000000000000"))
    before = ledger_snapshot()

    # when they sell for more than the balance can take
    with pytest.raises(TradingError) as raised:
        order_place(user=trader, coin_id="bitcoin", side="sell", type="market", quantity=D("1"))

    # then it is refused naming the quantity, and the ledger is as it was
    assert (raised.value.code, raised.value.field) == ("too_large", "quantity")
    assert ledger_snapshot() == before
    call_command("check_ledger")


def test_a_stop_triggered_at_a_price_too_large_to_settle_is_rejected_not_a_crash(trader, prices):
    # given a stop buy of a million coins that triggers at any price from 0.000001 (the
    # lowest stop a million coins may have: $1 is the smallest order)
    stop = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="stop",
        quantity=D("1000000"),
        stop_price=D("0.000001"),
    ).order
    assert stop.held_amount == D("1.001")

    # when a tick of 10^15 crosses it (10^21 USD to settle)
    filled = on_tick(prices={"bitcoin": D("1e15")}, at=datetime.now(UTC))

    # then the feed carries on: the stop is rejected and its hold released
    assert filled == 0
    stop.refresh_from_db()
    assert stop.status == "rejected"
    assert balance(trader, "USD") == (D("10000"), D("0"))
    call_command("check_ledger")


# --- client_order_id (issue 11 item 11b, SPEC §4) -----------------------------------


def place_with_id(user, **changes) -> services.Placed:
    values = {
        "coin_id": "bitcoin",
        "side": "buy",
        "type": "limit",
        "quantity": D("0.01"),
        "limit_price": D("40000"),
        "client_order_id": "ticket-42",
    }
    return order_place(user=user, **{**values, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"coin_id": "ethereum"},
        {"side": "sell"},
        {"type": "stop", "limit_price": None, "stop_price": D("40000")},
        {"quantity": D("0.02")},
        {"limit_price": D("40000.00000001")},
    ],
)
def test_a_client_order_id_reused_for_another_body_is_a_conflict_and_writes_nothing(
    trader, prices, changes
):
    # given an order placed with a client_order_id
    first = place_with_id(trader).order
    before = ledger_snapshot()

    # when the same id comes with another body
    with pytest.raises(TradingError) as raised:
        place_with_id(trader, **changes)

    # then it is a 409 idempotency_conflict and nothing is written
    assert raised.value.code == "idempotency_conflict"
    assert raised.value.status_code == 409
    assert raised.value.field == "client_order_id"
    assert ledger_snapshot() == before
    # while the same body, its numbers written differently, is the first order
    again = place_with_id(trader, quantity=D("0.010"), limit_price=D("40000.00000000"))
    assert (again.created, again.order.pk) == (False, first.pk)


def test_a_quote_amount_buy_is_the_same_body_only_with_the_same_quote_amount(trader, prices):
    # given a market buy by quote amount (its stored quantity is what the amount bought)
    first = place_with_id(
        trader, type="market", quantity=None, quote_amount=D("100"), limit_price=None
    ).order
    assert first.quantity == D("0.00199800")

    # when it is retried, then retried with another amount or with the bought quantity
    again = place_with_id(
        trader, type="market", quantity=None, quote_amount=D("100.0"), limit_price=None
    )
    conflicts = []
    for changes in (
        {"quantity": None, "quote_amount": D("101")},
        {"quantity": first.quantity},
    ):
        with pytest.raises(TradingError) as raised:
            place_with_id(trader, type="market", limit_price=None, **changes)
        conflicts.append(raised.value.code)

    # then the retry is the first order, the others conflicts
    assert (again.created, again.order.pk) == (False, first.pk)
    assert conflicts == ["idempotency_conflict", "idempotency_conflict"]
    assert Order.objects.count() == 1
