"""The portfolio's reads (trading/portfolio.py), its page and its API: the return since
the start, what open orders reserve, the allocation and the value history by range."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffUserFactory
from markets.tests.factories import PriceTickFactory
from trading.models import LedgerEntry
from trading.portfolio import HISTORY_POINTS, portfolio_for, portfolio_values
from trading.services import account_credit, account_reset, order_place
from trading.tests.factories import OrderFactory, TraderFactory

pytestmark = pytest.mark.django_db


def bitcoin_at(price: str, **extra):
    return PriceTickFactory.create(coin_id="bitcoin", price=D(price), **extra)


# --- return since the start ------------------------------------------------------


def test_return_since_start_is_the_total_value_against_the_demo_dollars(trader, prices):
    # given 0.1 BTC bought at 50,000 (cost 5,005 with the fee) and the price now 60,000
    OrderFactory.create(user=trader, quantity=D("0.1"))
    bitcoin_at("60000")

    # when the portfolio is read
    portfolio = portfolio_for(user=trader)

    # then the total (4,995 cash + 6,000 of coin) is compared with the 10,000 given
    assert portfolio.invested_usd == D("10000")
    assert portfolio.total_value_usd == D("10995")
    assert portfolio.return_usd == D("995")
    assert portfolio.return_pct == D("9.9500")


def test_a_credit_is_money_given_not_a_gain(trader, prices):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    bitcoin_at("60000")
    staff = StaffUserFactory.create()

    account_credit(user=trader, amount=D("1000"), reason="Contest prize", staff=staff)
    portfolio = portfolio_for(user=trader)

    assert portfolio.invested_usd == D("11000")
    assert portfolio.total_value_usd == D("11995")
    assert portfolio.return_usd == D("995")
    assert portfolio.return_pct == D("9.0455")  # 995 / 11,000 = 9.045454...%, half up


def test_a_losing_account_has_a_negative_return(trader, prices):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    bitcoin_at("40000")

    portfolio = portfolio_for(user=trader)

    assert portfolio.return_usd == D("-1005")  # 4,995 + 4,000 - 10,000
    assert portfolio.return_pct == D("-10.0500")
    assert portfolio.unrealized_pnl == D("-1005")


def test_an_account_never_funded_has_no_return_percentage(db, settings_trading):
    trader = TraderFactory.create(funded=False)

    portfolio = portfolio_for(user=trader)

    assert (portfolio.invested_usd, portfolio.return_usd) == (D("0"), D("0"))
    assert portfolio.return_pct is None


def test_after_a_reset_the_account_starts_over(trader, prices):
    # given a trader who bought, sold at a profit and still holds coins
    OrderFactory.create(user=trader, quantity=D("0.1"))
    bitcoin_at("60000")
    order_place(user=trader, coin_id="bitcoin", side="sell", type="market", quantity=D("0.05"))

    # when the paper account is reset
    account_reset(user=trader)
    portfolio = portfolio_for(user=trader)

    # then nothing from before counts: no coins, no P&L, the starting balance, no return
    assert portfolio.holdings == []
    assert portfolio.realized_pnl == D("0")
    assert portfolio.cash_usd == D("10000")
    assert portfolio.invested_usd == D("10000")
    assert (portfolio.return_usd, portfolio.return_pct) == (D("0"), D("0.0000"))

    # and a trade after it is the fresh account's first
    order_place(user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.01"))
    (holding,) = portfolio_for(user=trader).holdings
    assert holding["quantity"] == D("0.01")
    assert holding["cost"] == D("600.6")  # 0.01 x 60,000 + the 0.60 fee


# --- what open orders reserve -----------------------------------------------------


def test_open_orders_reserve_dollars_and_coins(trader, prices):
    # given 0.1 BTC, a limit buy resting below the price and a limit sell above it
    OrderFactory.create(user=trader, quantity=D("0.1"))
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.02"),
        limit_price=D("40000"),
    )
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="sell",
        type="limit",
        quantity=D("0.03"),
        limit_price=D("70000"),
    )

    portfolio = portfolio_for(user=trader)

    # then the buy holds 800 and its 0.80 fee, the sell holds its coins
    assert portfolio.cash_usd == D("4995")
    assert portfolio.cash_reserved == D("800.8")
    assert portfolio.cash_available == D("4194.2")
    (holding,) = portfolio.holdings
    assert holding["quantity"] == D("0.1")  # a reserved coin is still owned
    assert holding["reserved"] == D("0.03")
    assert portfolio.total_value_usd == D("9995")


def test_nothing_reserved_without_open_orders(trader, prices):
    OrderFactory.create(user=trader, quantity=D("0.1"))

    portfolio = portfolio_for(user=trader)

    assert portfolio.cash_reserved == D("0")
    assert portfolio.holdings[0]["reserved"] == D("0")


# --- allocation ---------------------------------------------------------------------


def test_allocation_slices_are_the_holdings_then_the_cash(trader, prices):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    OrderFactory.create(user=trader, coin_id="ethereum", quantity=D("1"))

    slices = portfolio_for(user=trader).allocation

    # 5,000 BTC, 2,000 ETH and 2,993 cash of 9,993
    assert [(s.key, s.symbol, s.value) for s in slices] == [
        ("bitcoin", "BTC", D("5000")),
        ("ethereum", "ETH", D("2000")),
        ("USD", "USD", D("2993")),
    ]
    assert [s.pct for s in slices] == [D("50.0350"), D("20.0140"), D("29.9510")]
    assert [s.start for s in slices] == [D("0"), D("50.0350"), D("70.0490")]
    assert slices[0].name == "Bitcoin"


# --- value history by range --------------------------------------------------------


@pytest.fixture
def history(trader, prices):
    """0.1 BTC bought at 50,000 (cash 4,995) at t0, then the price over 30 days."""
    OrderFactory.create(user=trader, quantity=D("0.1"))
    t0 = LedgerEntry.objects.filter(user=trader).earliest("at").at
    for days, price in [(1, "55000"), (8, "60000"), (20, "40000"), (25, "45000"), (29.5, "50000")]:
        bitcoin_at(price, at=t0 + timedelta(days=days))
    return trader, t0, t0 + timedelta(days=30, minutes=1)


def test_all_starts_at_the_first_ledger_entry(history):
    trader, t0, now = history

    values = portfolio_values(user=trader, range_="all", points=2, now=now)

    # the deposit alone at the start; cash + 0.1 BTC at 50,000 now
    assert values == [(t0, D("10000.00000000")), (now, D("9995.00000000"))]


@pytest.mark.parametrize(
    ("range_", "back", "expected"),
    [
        # 1d: from day 29 (45,000, the tick of day 25) to now (50,000 since day 29.5)
        ("1d", timedelta(days=1), [D("9495"), D("9995"), D("9995")]),
        # 7d: day 23 (40,000, the tick of day 20), day 26.5 (45,000), now (50,000)
        ("7d", timedelta(days=7), [D("8995"), D("9495"), D("9995")]),
        # 30d: a minute after t0 (the purchase price), day 15 (60,000), now
        ("30d", timedelta(days=30), [D("9995"), D("10995"), D("9995")]),
    ],
)
def test_a_range_looks_back_that_far_with_the_price_of_each_moment(history, range_, back, expected):
    trader, _, now = history

    values = portfolio_values(user=trader, range_=range_, points=3, now=now)

    assert [moment for moment, _ in values] == [now - back, now - back / 2, now]
    assert [value for _, value in values] == expected


def test_a_range_longer_than_the_account_starts_with_the_account(trader, prices):
    first = LedgerEntry.objects.get(user=trader).at
    now = first + timedelta(hours=5)

    values = portfolio_values(user=trader, range_="7d", points=2, now=now)

    assert values == [(first, D("10000")), (now, D("10000"))]


def test_history_starts_again_at_a_reset(trader, prices):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    bitcoin_at("60000")
    account_reset(user=trader)
    later = timezone.now() + timedelta(hours=1)

    values = portfolio_values(user=trader, range_="all", points=2, now=later)

    assert [value for _, value in values] == [D("10000"), D("10000")]
    assert values[0][0] > LedgerEntry.objects.filter(user=trader).latest("at").at


def test_no_ledger_no_history(db, settings_trading):
    trader = TraderFactory.create(funded=False)

    assert portfolio_values(user=trader) == []


# --- the API --------------------------------------------------------------------------


def test_history_api_takes_a_range(trader_api):
    for range_ in ("1d", "7d", "30d", "all"):
        body = trader_api.get(f"/api/portfolio/history?range={range_}").json()
        assert len(body["points"]) == HISTORY_POINTS
    assert len(trader_api.get("/api/portfolio/history").json()["points"]) == HISTORY_POINTS
    # an empty range is no range, as an empty filter is elsewhere: the default
    assert trader_api.get("/api/portfolio/history?range=").status_code == 200


@pytest.mark.parametrize("bad", ["5y", "ALL", "1d,7d", "x" * 300])
def test_history_api_refuses_another_range_naming_it(trader_api, bad):
    response = trader_api.get("/api/portfolio/history", {"range": bad})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"range"}


def test_history_range_is_in_the_schema(trader_api):
    schema = trader_api.get("/api/schema/?format=json").json()
    (parameter,) = schema["paths"]["/api/portfolio/history"]["get"]["parameters"]
    assert parameter["name"] == "range"
    assert parameter["schema"]["enum"] == ["1d", "7d", "30d", "all"]
    assert parameter["schema"]["default"] == "all"


def test_portfolio_api_keeps_the_spec_fields(trader_api, trader):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="sell",
        type="limit",
        quantity=D("0.03"),
        limit_price=D("70000"),
    )

    body = trader_api.get("/api/portfolio").json()

    assert set(body) == {
        "cash_usd",
        "total_value_usd",
        "realized_pnl",
        "unrealized_pnl",
        "holdings",
    }
    assert set(body["holdings"][0]) == {
        "coin",
        "quantity",
        "average_cost",
        "price",
        "value",
        "unrealized_pnl",
        "unrealized_pnl_pct",
        "allocation_pct",
    }


# --- the page -------------------------------------------------------------------------


def test_page_shows_signed_coloured_pnl_reserved_amounts_and_trade_links(page_client, trader):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.02"),
        limit_price=D("40000"),
    )
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="sell",
        type="limit",
        quantity=D("0.03"),
        limit_price=D("70000"),
    )
    bitcoin_at("60000")

    html = page_client.get("/portfolio/").content.decode()

    # a gain: green, an up arrow and a plus sign; the return in dollars and percent
    assert 'class="pnl pnl-up"' in html
    assert "+$995.00" in html and "(+9.95%)" in html  # 10,995 against 10,000
    assert "(+19.88%)" in html  # the holding: 995 on its 5,005 cost (with the fee)
    assert "▲" in html
    # what the open orders reserve
    assert "$800.80</span> reserved by open buys" in html
    assert "0.03 reserved by open sells" in html
    # the coin by name and symbol, a trade action, the allocation with the cash
    assert 'Bitcoin <span class="muted">BTC</span>' in html
    assert 'href="/trade/?coin=bitcoin"' in html
    assert 'href="/trade/?coin=bitcoin&amp;side=sell"' in html
    assert 'data-slice="USD"' in html and "Cash" in html
    # what portfolio.js recomputes from
    assert 'data-quantity="0.1' in html and 'data-cost="5005' in html
    assert 'data-invested="10000' in html
    for range_ in ("1d", "7d", "30d", "all"):
        assert f'data-range="{range_}"' in html


def test_page_shows_a_loss_in_red_with_a_minus_sign(page_client, trader):
    OrderFactory.create(user=trader, quantity=D("0.1"))
    bitcoin_at("40000")

    html = page_client.get("/portfolio/").content.decode()

    assert 'class="pnl pnl-down"' in html
    assert "▼" in html
    assert "-$1,005.00" in html and "(-10.05%)" in html
    assert "pnl-up" not in html


def test_page_for_an_empty_account(client, db, settings_trading):
    trader = TraderFactory.create()
    client.force_login(trader)

    html = client.get("/portfolio/").content.decode()

    assert "No coins yet." in html
    assert 'class="pnl pnl-flat"' in html  # no return yet: neither up nor down
    assert "data-live-status" not in html  # nothing to follow
