"""GET /api/orders/quote: the ticket's estimate is what placing the order then charges,
and the same bad input is refused with the same 400 (issue 13: one rule, not a second
fee formula in the page)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accounts.tests.factories import api_for
from trading.models import LedgerEntry, Order

pytestmark = pytest.mark.django_db

QUOTE_FIELDS = {"coin", "side", "type", "price", "quantity", "notional", "fee", "total"}


def quote(api: Any, **fields: str) -> Any:
    body = {"coin": "bitcoin", "side": "buy", "type": "market", **fields}
    return api.get("/api/orders/quote", body)


def place(api: Any, **fields: str) -> Any:
    body = {"coin": "bitcoin", "side": "buy", "type": "market", **fields}
    return api.post("/api/orders", body, format="json")


def balance(api: Any, asset: str) -> dict[str, Decimal]:
    rows = {row["asset"]: row for row in api.get("/api/balances").json()}
    row = rows.get(asset, {"available": "0", "held": "0"})
    return {"available": Decimal(row["available"]), "held": Decimal(row["held"])}


def test_a_market_buy_by_quantity_is_quoted_as_it_is_then_charged(trader_api):
    # given bitcoin at 50,000 and a fee of 0.1%
    # when 0.1 BTC at market is quoted
    response = quote(trader_api, quantity="0.1")

    # then the quote has the exact shape and numbers
    assert response.status_code == 200
    assert response.json() == {
        "coin": "bitcoin",
        "side": "buy",
        "type": "market",
        "price": "50000.00000000",
        "quantity": "0.10000000",
        "notional": "5000.00000000",
        "fee": "5.00000000",
        "total": "5005.00000000",
    }

    # and placing the same order charges exactly that
    usd_before = balance(trader_api, "USD")["available"]
    order = place(trader_api, quantity="0.1").json()
    assert (order["quantity"], order["fee"]) == ("0.10000000", response.json()["fee"])
    spent = usd_before - balance(trader_api, "USD")["available"]
    assert spent == Decimal(response.json()["total"])


def test_a_market_buy_by_quote_amount_buys_the_quoted_quantity_for_the_quoted_total(
    trader_api,
):
    # given a buy of 1,000 USD of bitcoin at 50,000, fee included
    quoted = quote(trader_api, quote_amount="1000").json()

    # then it buys what 1,000 USD less the fee buys, and spends no more than 1,000
    assert quoted["quantity"] == "0.01998001"  # 999.000999 USD / 50,000, rounded down
    assert Decimal(quoted["total"]) <= Decimal("1000")
    assert Decimal(quoted["total"]) == Decimal(quoted["notional"]) + Decimal(quoted["fee"])

    # when it is placed, then the order bought and charged exactly that
    usd_before = balance(trader_api, "USD")["available"]
    order = place(trader_api, quote_amount="1000").json()
    assert (order["quantity"], order["fee"]) == (quoted["quantity"], quoted["fee"])
    assert usd_before - balance(trader_api, "USD")["available"] == Decimal(quoted["total"])


def test_a_sell_is_quoted_as_the_proceeds_after_the_fee(trader_api):
    # given a trader holding 0.1 BTC
    place(trader_api, quantity="0.1")

    # when selling 0.05 is quoted
    quoted = quote(trader_api, side="sell", quantity="0.05").json()

    # then the total is what the seller receives: the notional less the fee
    assert (quoted["notional"], quoted["fee"], quoted["total"]) == (
        "2500.00000000",
        "2.50000000",
        "2497.50000000",
    )
    usd_before = balance(trader_api, "USD")["available"]
    order = place(trader_api, side="sell", quantity="0.05").json()
    assert order["fee"] == quoted["fee"]
    assert balance(trader_api, "USD")["available"] - usd_before == Decimal(quoted["total"])


def test_a_limit_buy_is_quoted_at_its_limit_price_as_its_hold_and_its_fill(trader_api):
    # given a limit buy of 0.1 BTC at 40,000 while the market is at 50,000
    quoted = quote(trader_api, type="limit", quantity="0.1", limit_price="40000").json()

    # then it is valued at the limit price, not the market's
    assert (quoted["price"], quoted["total"]) == ("40000.00000000", "4004.00000000")

    # when it is placed, then it holds exactly the quoted total
    order = place(trader_api, type="limit", quantity="0.1", limit_price="40000").json()
    assert order["status"] == "open"
    assert balance(trader_api, "USD")["held"] == Decimal(quoted["total"])


def test_a_quote_places_nothing_and_leaves_the_order_allowance_alone(trader_api):
    # given more quotes than the 20 orders a minute a trader may place
    entries = LedgerEntry.objects.count()
    for _ in range(25):
        assert quote(trader_api, quantity="0.001").status_code == 200

    # then nothing was placed or written, and an order is still accepted
    assert not Order.objects.exists()
    assert LedgerEntry.objects.count() == entries
    assert place(trader_api, quantity="0.001").status_code == 201


def test_the_page_session_can_ask_for_a_quote(page_client):
    # given the ticket's page session (no token), then the quote answers it
    response = page_client.get(
        "/api/orders/quote", {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "1"}
    )

    assert response.status_code == 200
    assert set(response.json()) == QUOTE_FIELDS


def test_empty_fields_are_as_if_not_sent(trader_api):
    # the ticket's query may carry every field, the unused ones empty
    response = quote(trader_api, quantity="0.1", quote_amount="", limit_price="", stop_price="")

    assert response.status_code == 200
    assert response.json()["total"] == "5005.00000000"


def test_a_quote_needs_a_login(client, prices):
    response = client.get("/api/orders/quote", {"coin": "bitcoin", "side": "buy", "type": "market"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"coin": "nope", "quantity": "0.1"}, "unknown_coin", "coin"),
        ({"quantity": "-1"}, "invalid_quantity", "quantity"),
        ({"quantity": "abc"}, "invalid", "quantity"),
        ({"side": "hold", "quantity": "0.1"}, "invalid", "side"),
        ({"type": "swap", "quantity": "0.1"}, "invalid", "type"),
        ({}, "invalid_quantity", "quantity"),
        ({"quantity": "0.00001"}, "below_minimum", "quantity"),
        ({"quote_amount": "0.5"}, "below_minimum", "quote_amount"),
        ({"quantity": "0.1", "quote_amount": "100"}, "invalid_quantity", "quantity"),
        ({"quantity": "0.1", "limit_price": "40000"}, "invalid_price", "limit_price"),
        ({"side": "sell", "quote_amount": "100"}, "invalid_quantity", "quote_amount"),
        ({"type": "limit", "quantity": "0.1"}, "invalid_price", "limit_price"),
        ({"type": "stop", "quantity": "0.1", "stop_price": "0"}, "invalid_price", "stop_price"),
        ({"quantity": "99999999999999999999.99999999"}, "too_large", "quantity"),
        ({"quantity": "0.123456789"}, "invalid", "quantity"),
    ],
)
def test_bad_input_is_the_400_that_placing_the_order_answers(trader_api, fields, code, field):
    # when the same bad order is quoted and placed
    quoted = quote(trader_api, **fields)
    placed = place(trader_api, **fields)

    # then both refuse it the same way, naming the field, and nothing is placed
    assert (quoted.status_code, placed.status_code) == (400, 400)
    assert quoted.json()["code"] == placed.json()["code"] == code
    assert quoted.json()["errors"] == placed.json()["errors"]
    assert field in quoted.json()["errors"]
    assert not Order.objects.exists()


def test_a_stale_market_price_is_price_unavailable(trader, settings):
    # given no fresh price (and none that can be fetched)
    settings.PRICE_SOURCE = "coingecko"

    # when a market order is quoted, then it is the 400 placing it would answer
    response = quote(api_for(trader), quantity="0.1")

    assert response.status_code == 400
    assert response.json()["code"] == "price_unavailable"
