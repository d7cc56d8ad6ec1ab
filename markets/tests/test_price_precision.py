"""Prices as small as CoinGecko lists, stored and served exactly, never in exponent
notation (SPEC §4: "a coin at $0.000000001206 is that, never 0")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from accounts.tests.factories import api_for
from cryptovault.money import PlainDecimalField, amount_text, decimal_text, price_text
from markets.board import board_from_ticks, prices_board
from markets.board_row import number_text
from markets.models import PriceTick
from markets.tests.conftest import markets_payload
from markets.tests.factories import PriceTickFactory
from trading.tests.factories import TraderFactory

pytestmark = pytest.mark.django_db
D = Decimal
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
TINY = {"dogecoin": 1.206e-09, "cardano": 4.74762e-07}


def _exponents(value: Any, where: str = "") -> list[str]:
    """Every decimal string in a JSON document that is written with an exponent."""
    if isinstance(value, dict):
        return [bad for key, item in value.items() for bad in _exponents(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [bad for i, item in enumerate(value) for bad in _exponents(item, f"{where}[{i}]")]
    if isinstance(value, str) and NUMBER.fullmatch(value) and ("e" in value.lower()):
        return [f"{where} = {value!r}"]
    return []


def _tiny_payload() -> list[dict[str, Any]]:
    rows = markets_payload()
    for row in rows:
        if row["id"] in TINY:
            row["current_price"] = TINY[row["id"]]
    return rows


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.206e-09, "0.000000001206"),
        (4.74762e-07, "0.000000474762"),
        (D("1.206E-9"), "0.000000001206"),
        ("0.000000474762", "0.000000474762"),
        (64250.12, "64250.12000000"),
        (0, "0.00000000"),
        (D("1E-18"), "0.000000000000000001"),
        (D("1E-19"), "0.00000000"),  # past a price's 18 places
        (D("99999999999999999999.999999999999999999"), "99999999999999999999.999999999999999999"),
    ],
)
def test_the_board_shows_a_price_with_its_digits_in_plain_notation(value, text):
    assert number_text(value) == text


@pytest.mark.parametrize("value", [None, True, float("nan"), float("inf"), "abc"])
def test_what_is_no_number_is_no_price(value):
    assert number_text(value) is None


def test_decimal_text_never_writes_an_exponent():
    assert str(D("4.74762E-7")) == "4.74762E-7"  # what it replaces
    assert decimal_text(D("4.74762E-7")) == "0.000000474762"
    assert decimal_text(D("1E+3")) == "1000"
    assert decimal_text(D("-0E-8"), 8) == "0.00000000"
    assert amount_text(D("64250.12")) == "64250.12000000"
    assert amount_text(D("0.000000005")) == "0.00000001"  # half up
    assert price_text(D("64250.120000000000000000")) == "64250.12000000"
    assert price_text(D("0.000000001206000000")) == "0.000000001206"
    with pytest.raises(ValueError):
        decimal_text(D("NaN"))


def test_the_api_field_keeps_a_prices_digits_where_drf_quantizes_or_loses_them():
    from rest_framework import serializers

    drf = serializers.DecimalField(max_digits=38, decimal_places=18)
    plain = PlainDecimalField(max_digits=38, decimal_places=18, min_places=8)
    eight = PlainDecimalField(max_digits=28, decimal_places=8)

    assert drf.to_representation(D("1.206E-9")) == "0.000000001206000000"
    assert plain.to_representation(D("1.206E-9")) == "0.000000001206"
    assert plain.to_representation(D("64250.12")) == "64250.12000000"
    assert eight.to_representation(D("5")) == "5.00000000"
    assert plain.to_representation(None) is None


def test_tiny_coingecko_prices_are_stored_and_served_exactly(client, coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(_tiny_payload())

    board = prices_board()
    body = client.get("/api/crypto").json()

    rows = {row["id"]: row for row in board["coins"]}
    served = {row["id"]: row for row in body["coins"]}
    for coin_id, text in [("dogecoin", "0.000000001206"), ("cardano", "0.000000474762")]:
        assert rows[coin_id]["price_usd"] == text
        assert served[coin_id]["price_usd"] == text
        assert PriceTick.objects.get(coin_id=coin_id).price == D(text)
    assert served["bitcoin"]["price_usd"] == "64250.12000000"
    assert _exponents(body) == []


def test_the_board_from_stored_ticks_keeps_a_tiny_price(client):
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.000000001206"))

    board = board_from_ticks(only_real=True)

    assert board is not None
    assert {row["id"]: row["price_usd"] for row in board["coins"]} == {"dogecoin": "0.000000001206"}


def test_no_api_answer_writes_a_decimal_with_an_exponent(client, settings, coingecko):
    """Walk every decimal string of the markets and trading answers after trading a coin
    at $0.000000474762 (what str(Decimal) writes as "4.74762E-7")."""
    settings.DEMO_STARTING_BALANCE_USD = D("10000")
    settings.TRADING_FEE_RATE = D("0.001")
    settings.RATELIMIT_ENABLE = False
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(_tiny_payload())
    prices_board()
    # upstream's last_updated is days old
    PriceTickFactory.create(coin_id="cardano", price=D("0.000000474762"))
    trader = TraderFactory.create()
    api = api_for(trader)

    bought = api.post(
        "/api/orders",
        {"coin": "cardano", "side": "buy", "type": "market", "quantity": "12345678.9"},
        format="json",
    )
    limit = api.post(
        "/api/orders",
        {
            "coin": "cardano",
            "side": "sell",
            "type": "limit",
            "quantity": "10000000",
            "limit_price": "0.0000005",
        },
        format="json",
    )

    assert bought.status_code == 201, bought.json()
    assert limit.status_code == 201, limit.json()
    assert bought.json()["average_price"] == "0.000000474762"
    assert limit.json()["limit_price"] == "0.00000050"
    answers = {
        path: api.get(path).json()
        for path in (
            "/api/crypto",
            "/api/crypto/cardano",
            "/api/orders",
            f"/api/orders/{bought.json()['id']}",
            "/api/balances",
            "/api/portfolio",
            "/api/transactions",
        )
    }
    holding = answers["/api/portfolio"]["holdings"][0]
    assert holding["price"] == "0.000000474762"
    assert D(holding["average_cost"]) > D("0.000000474762")  # the fee is in the cost
    assert {path: _exponents(body) for path, body in answers.items()} == {
        path: [] for path in answers
    }
