"""Issue 12: the smallest order, fields of another order type, the fee on tiny trades and
trades at tiny (or no) prices (SPEC §1 ``MIN_ORDER_USD``, §4), through the service, the
API and the page ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import models

from accounts.tests.factories import api_for
from markets.models import PriceTick
from markets.tests.factories import PriceTickFactory
from trading.fees import fee_for, notional_for_quote
from trading.models import Balance, LedgerEntry, Order
from trading.services import TradingError, on_tick, order_place
from trading.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = Decimal


def ledger_snapshot() -> tuple[int, int, list[tuple[str, Decimal, Decimal]]]:
    rows = Balance.objects.order_by("user_id", "asset").values_list("asset", "available", "held")
    return LedgerEntry.objects.count(), Order.objects.count(), list(rows)


def usd_spent(user) -> Decimal:
    return D("10000") - Balance.objects.get(user=user, asset="USD").available


def ticket(client, **fields):
    order = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01", **fields}
    return client.post("/trade/", {key: value for key, value in order.items() if value is not None})


def api_order(api, **fields):
    body = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01", **fields}
    return api.post("/api/orders", body, format="json")


# --- MIN_ORDER_USD: the smallest order (bitcoin at 50,000) ---------------------------

BELOW_MINIMUM = [
    # a market buy of 0.00001 BTC: 0.50 USD at the market price
    pytest.param({"quantity": "0.00001"}, "quantity", id="market-quantity"),
    # a market sell is valued the same way
    pytest.param({"side": "sell", "quantity": "0.00001"}, "quantity", id="market-sell"),
    # a market buy spending 0.99 USD
    pytest.param({"quantity": None, "quote_amount": "0.99"}, "quote_amount", id="quote-amount"),
    # 1 BTC is worth 50,000 at the market, but this limit buy is worth 0.50 at its price
    pytest.param(
        {"type": "limit", "quantity": "1", "limit_price": "0.5"}, "quantity", id="limit-price"
    ),
    # 0.001 BTC stopping at 999: 0.999 USD at the stop price
    pytest.param(
        {"type": "stop", "quantity": "0.001", "stop_price": "999"}, "quantity", id="stop-price"
    ),
]


def as_service_values(fields: dict) -> dict:
    values = {"coin_id": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"}
    values.update({key: value for key, value in fields.items()})
    return {
        key: (D(value) if key not in ("coin_id", "side", "type") and value is not None else value)
        for key, value in values.items()
    }


@pytest.mark.parametrize(("fields", "field"), BELOW_MINIMUM)
def test_an_order_worth_less_than_the_minimum_is_refused_by_the_service(
    trader, prices, fields, field
):
    # given a funded trader holding some bitcoin, with fresh prices
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    before = ledger_snapshot()

    # when they place an order worth less than MIN_ORDER_USD (1.00)
    with pytest.raises(TradingError) as raised:
        order_place(user=trader, **as_service_values(fields))

    # then it is a 400 below_minimum naming the field, and nothing is written
    error = raised.value
    assert (error.code, error.status_code, error.field) == ("below_minimum", 400, field)
    assert "1.00 USD" in error.message
    assert ledger_snapshot() == before


@pytest.mark.parametrize(("fields", "field"), BELOW_MINIMUM)
def test_an_order_worth_less_than_the_minimum_is_a_400_from_the_api(trader_api, fields, field):
    # given a trader holding some bitcoin
    assert api_order(trader_api, quantity="0.1").status_code == 201
    before = ledger_snapshot()

    # when the API is asked for an order worth less than 1.00 USD
    response = api_order(trader_api, **fields)

    # then it answers 400 below_minimum naming the field, and nothing is written
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "below_minimum"
    assert list(payload["errors"]) == [field]
    assert ledger_snapshot() == before


@pytest.mark.parametrize(("fields", "field"), BELOW_MINIMUM)
def test_an_order_worth_less_than_the_minimum_is_a_ticket_error(page_client, trader, fields, field):
    # given a trader holding some bitcoin
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    before = ledger_snapshot()

    # when the ticket asks for an order worth less than 1.00 USD
    response = ticket(page_client, **fields)

    # then the ticket comes back with the error next to the field, and nothing is written
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert "less than the smallest order, 1.00 USD" in errors[field][0]
    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": "0.00002"},  # 1.00 at the market
        {"quantity": None, "quote_amount": "1"},
        {"type": "limit", "quantity": "2", "limit_price": "0.5"},
        {"type": "stop", "quantity": "0.001", "stop_price": "1000"},
    ],
)
def test_an_order_worth_exactly_the_minimum_is_placed(trader, prices, fields):
    # when a trader places an order worth exactly MIN_ORDER_USD
    placed = order_place(user=trader, **as_service_values(fields))

    # then it is placed
    assert placed.created and placed.order.status in ("filled", "open")
    call_command("check_ledger")


def test_the_minimum_is_read_from_the_settings(trader, prices, settings):
    # given a minimum of 10 USD
    settings.MIN_ORDER_USD = D("10")

    # when a trader buys 5 USD of bitcoin
    with pytest.raises(TradingError) as raised:
        order_place(user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.0001"))

    # then it is below the minimum, which the message names
    assert raised.value.code == "below_minimum"
    assert "10 USD" in raised.value.message


# --- a field of another order type is refused, never ignored -------------------------

MISPLACED = [
    # the coin page's bug: a limit price typed on a market order filled at the market
    pytest.param({"limit_price": "150"}, "limit_price", id="limit-price-on-market"),
    pytest.param(
        {"type": "stop", "stop_price": "60000", "limit_price": "150"},
        "limit_price",
        id="limit-price-on-stop",
    ),
    pytest.param({"stop_price": "150"}, "stop_price", id="stop-price-on-market"),
    pytest.param(
        {"type": "limit", "limit_price": "40000", "stop_price": "150"},
        "stop_price",
        id="stop-price-on-limit",
    ),
    pytest.param(
        {"type": "limit", "limit_price": "40000", "quantity": None, "quote_amount": "100"},
        "quote_amount",
        id="quote-amount-on-limit",
    ),
    pytest.param(
        {"side": "sell", "quantity": None, "quote_amount": "100"},
        "quote_amount",
        id="quote-amount-on-sell",
    ),
    pytest.param({"quote_amount": "100"}, "quantity", id="quantity-and-quote-amount"),
]


@pytest.mark.parametrize(("fields", "field"), MISPLACED)
def test_a_field_of_another_order_type_is_a_400_naming_it(trader_api, fields, field):
    # given a trader holding some bitcoin
    assert api_order(trader_api, quantity="0.1").status_code == 201
    before = ledger_snapshot()

    # when the API gets an order with a field its type does not have
    response = api_order(trader_api, **fields)

    # then it answers 400 naming that field, and nothing is written
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] in ("invalid_price", "invalid_quantity")
    assert list(payload["errors"]) == [field]
    assert ledger_snapshot() == before


@pytest.mark.parametrize(("fields", "field"), MISPLACED)
def test_a_field_of_another_order_type_is_a_ticket_error(page_client, trader, fields, field):
    # given a trader holding some bitcoin
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    before = ledger_snapshot()

    # when the ticket sends a field its order type does not have (an old page, no script)
    response = ticket(page_client, **fields)

    # then the ticket comes back with the error on that field, and nothing is written
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert ledger_snapshot() == before


def test_a_retry_with_a_limit_price_on_a_market_order_is_refused_not_replayed(trader_api):
    # given a market order placed with a client_order_id
    first = api_order(trader_api, client_order_id="m-1")
    assert first.status_code == 201
    before = ledger_snapshot()

    # when it is retried with a limit price (which a market order does not have)
    retry = api_order(trader_api, client_order_id="m-1", limit_price="150")

    # then it is refused naming the limit price: not the first order back as if it matched
    assert retry.status_code == 400
    assert list(retry.json()["errors"]) == ["limit_price"]
    assert ledger_snapshot() == before


# --- the fee is never rounded to nothing ---------------------------------------------


@pytest.mark.parametrize(
    ("notional", "fee"),
    [
        (D("0.000001"), D("0.00000001")),  # 0.000000001: up, not to 0
        (D("0.0000000036"), D("0.00000001")),
        (D("1.000001"), D("0.00100001")),  # 0.001000001: up, not to 0.001
        (D("5000"), D("5")),  # exact stays exact
        (D("0"), D("0")),
    ],
)
def test_the_fee_is_rounded_up_to_the_8th_place(settings_trading, notional, fee):
    assert fee_for(notional) == fee


def test_a_market_buy_of_a_tiny_notional_pays_a_fee_of_one_hundred_millionth(trader, settings):
    # given no minimum order and dogecoin at 0.18
    settings.MIN_ORDER_USD = D("0")
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.18"))

    # when a trader buys 0.00000002 DOGE (worth 0.0000000036 USD)
    order = order_place(
        user=trader, coin_id="dogecoin", side="buy", type="market", quantity=D("0.00000002")
    ).order

    # then the fee is 0.00000001, not 0, and it is charged
    assert order.fee == D("0.00000001")
    fee_entry = LedgerEntry.objects.get(order=order, kind="fee")
    assert fee_entry.amount == D("-0.00000001")
    call_command("check_ledger")


def test_a_limit_buy_holds_exactly_what_its_fill_charges(trader, prices):
    # given a limit buy whose notional has more than 8 places: 0.33333333 x 3.01 is
    # 1.0033333233 (1.00333332), its fee 0.0010033333233 (0.00100334, rounded up)
    order = order_place(
        user=trader,
        coin_id="ethereum",
        side="buy",
        type="limit",
        quantity=D("0.33333333"),
        limit_price=D("3.01"),
    ).order
    assert order.held_amount == D("1.00333332") + D("0.00100334")

    # when a tick fills it at its limit price
    assert on_tick(prices={"ethereum": D("3")}, at=datetime.now(UTC)) == 1

    # then what was charged is what was held, and nothing stays held
    order.refresh_from_db()
    assert order.fee == D("0.00100334")
    assert usd_spent(trader) == D("1.00433666")
    assert Balance.objects.get(user=trader, asset="USD").held == 0
    call_command("check_ledger")


# --- tiny prices and no price -------------------------------------------------------


def price_places() -> int:
    field = PriceTick._meta.get_field("price")
    assert isinstance(field, models.DecimalField)
    return field.decimal_places


@pytest.mark.parametrize(
    ("price", "quantity"),
    [
        # 10 USD, fee included, is a notional of 9.99000999 (its fee 0.00999001 rounded
        # up): the quantity is that notional over the price, rounded down
        (D("0.00001206"), D("828359.03731343")),
        pytest.param(
            D("0.000000001206"),
            D("8283590373.13432835"),
            marks=pytest.mark.skipif(
                price_places() < 12, reason="price ticks are stored to 8 places"
            ),
        ),
    ],
)
def test_a_quote_amount_buy_at_a_tiny_price_buys_the_right_quantity(trader, price, quantity):
    # given a coin at a tiny price
    PriceTickFactory.create(coin_id="dogecoin", price=price)

    # when a trader spends 10 USD on it
    order = order_place(
        user=trader, coin_id="dogecoin", side="buy", type="market", quote_amount=D("10")
    ).order

    # then they get the notional over the price, and spend no more than the 10 USD
    assert order.quantity == quantity
    assert order.fee == D("0.00999001")
    assert usd_spent(trader) == D("10.00000000")
    assert Balance.objects.get(user=trader, asset="dogecoin").available == quantity
    call_command("check_ledger")


def test_a_limit_buy_at_a_tiny_limit_price_holds_its_notional_and_fee(trader_api, trader):
    # given dogecoin at 0.00000001 (above the limit below)
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.00000001"))

    # when a trader asks for a billion DOGE at 0.000000001206 (1.206 USD), through the API
    response = api_order(
        trader_api,
        coin="dogecoin",
        type="limit",
        quantity="1000000000",
        limit_price="0.000000001206",
    )

    # then the order is open at that price, holding 1.206 USD and its fee 0.001206
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert (order.status, order.limit_price) == ("open", D("0.000000001206"))
    assert order.held_amount == D("1.207206")
    call_command("check_ledger")


@pytest.mark.parametrize(
    "limit_price", ["0.0000000000000000001", "1.0000000000000000001"], ids=["tiny", "one"]
)
def test_a_limit_price_with_more_places_than_a_price_holds_is_refused(trader, prices, limit_price):
    # when a limit price has a 19th decimal place
    with pytest.raises(TradingError) as raised:
        order_place(
            user=trader,
            coin_id="bitcoin",
            side="buy",
            type="limit",
            quantity=D("1"),
            limit_price=D(limit_price),
        )

    # then it is refused naming it
    assert (raised.value.code, raised.value.field) == ("invalid_price", "limit_price")
    assert "18 decimal places" in raised.value.message


def test_the_ticket_takes_a_limit_price_of_a_tiny_coin(page_client):
    # given dogecoin at 0.00000001
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.00000001"))

    # when the ticket asks for a billion DOGE at 0.000000001206
    response = ticket(
        page_client,
        coin="dogecoin",
        type="limit",
        quantity="1000000000",
        limit_price="0.000000001206",
    )

    # then the order is open at that price
    assert response.status_code == 302
    assert Order.objects.get().limit_price == D("0.000000001206")


def test_the_ticket_says_a_tiny_price_and_fee_with_their_digits(page_client):
    # given dogecoin at 0.00001206
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.00001206"))

    # when the ticket buys 100,000 DOGE (1.206 USD, a fee of 0.001206)
    response = ticket(page_client, coin="dogecoin", quantity="100000")

    # then the message shows the price and the fee, not "$0.00"
    assert response.status_code == 302
    html = page_client.get(response["Location"]).content.decode()
    assert "filled at $0.00001206 (fee $0.001206)." in html


@pytest.mark.parametrize(
    "quote", [D("1"), D("10"), D("12.34"), D("99.99"), D("1000"), D("1234567.89")]
)
def test_a_quote_amount_pays_for_its_notional_and_fee(settings_trading, quote):
    notional = notional_for_quote(quote)

    # the notional and its fee fit in the amount; 0.00000001 more of notional would not
    assert notional + fee_for(notional) <= quote
    bigger = notional + D("0.00000001")
    assert bigger + fee_for(bigger) > quote


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": D("1")},
        {"quantity": None, "quote_amount": D("10")},
    ],
)
def test_a_price_stored_as_zero_is_price_unavailable_and_writes_nothing(trader, changes):
    # given a coin whose newest price is 0 (a price too small for its column)
    PriceTickFactory.create(coin_id="dogecoin", price=D("0"))
    before = ledger_snapshot()

    # when a trader buys it at market
    values = {"coin_id": "dogecoin", "side": "buy", "type": "market", "quantity": None}
    with pytest.raises(TradingError) as raised:
        order_place(user=trader, **{**values, **changes})

    # then it is price_unavailable, and nothing is written
    assert (raised.value.code, raised.value.status_code) == ("price_unavailable", 400)
    assert ledger_snapshot() == before


def test_a_price_stored_as_zero_is_a_400_from_the_api_never_a_500(trader):
    # given a coin whose newest price is 0
    PriceTickFactory.create(coin_id="dogecoin", price=D("0"))

    # when the API is asked to spend 10 USD on it
    response = api_for(trader).post(
        "/api/orders",
        {"coin": "dogecoin", "side": "buy", "type": "market", "quote_amount": "10"},
        format="json",
    )

    # then it is a 400 price_unavailable
    assert response.status_code == 400
    assert response.json()["code"] == "price_unavailable"
    assert not Order.objects.exists()
