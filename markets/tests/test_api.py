"""The markets API: shapes of SPEC §7, validation and not-found answers."""

from __future__ import annotations

import pytest

from markets.api import CoinPriceSerializer, history_days
from markets.board_row import BoardRow
from markets.tests.conftest import markets_payload

pytestmark = pytest.mark.django_db

COIN_FIELDS = {
    "id",
    "symbol",
    "name",
    "image",
    "price_usd",
    "change_24h_pct",
    "market_cap",
    "volume_24h",
    "last_updated",
    "source",
}


def test_the_serializer_documents_a_board_row_field_for_field():
    assert list(CoinPriceSerializer().fields) == list(BoardRow.__annotations__)
    assert set(BoardRow.__annotations__) == COIN_FIELDS


def test_crypto_lists_every_tracked_coin_with_decimal_strings(client, coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    first = client.get("/api/crypto")
    second = client.get("/api/crypto")

    assert first.status_code == 200
    body = first.json()
    assert body["cached"] is False and second.json()["cached"] is True
    assert len(body["coins"]) == 10
    bitcoin = body["coins"][0]
    assert set(bitcoin) == COIN_FIELDS
    assert bitcoin["price_usd"] == "64250.12000000"
    assert bitcoin["source"] == "coingecko"


def test_crypto_labels_simulated_prices(client):
    body = client.get("/api/crypto").json()

    assert {coin["source"] for coin in body["coins"]} == {"simulated"}


def test_crypto_detail_has_the_detail_fields(client):
    response = client.get("/api/crypto/ethereum")

    assert response.status_code == 200
    assert set(response.json()) == COIN_FIELDS | {
        "description",
        "circulating_supply",
        "total_supply",
        "max_supply",
        "ath",
        "ath_date",
        "links",
    }


def test_unknown_coin_is_404_with_the_error_shape(client):
    for path in ("/api/crypto/dogecoin-classic", "/api/crypto/dogecoin-classic/history?days=7"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "request_id" in response.json()


@pytest.mark.parametrize("days", ["2", "0", "abc", ""])
def test_history_rejects_a_bad_days_listing_the_allowed_values(client, days):
    response = client.get(f"/api/crypto/bitcoin/history?days={days}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_days"
    assert "1, 7, 14, 30, 90, 180, 365" in body["errors"]["days"][0]


def test_history_shape(client):
    body = client.get("/api/crypto/bitcoin/history?days=30").json()

    assert set(body) == {"coin", "days", "prices", "candles", "source"}
    assert body["coin"] == "bitcoin" and body["days"] == 30
    ms, price = body["prices"][-1]
    assert ms > 1_700_000_000_000 and price > 0
    assert set(body["candles"][0]) == {"time", "open", "high", "low", "close"}


def test_the_schema_documents_the_markets_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert {"/api/crypto", "/api/crypto/{coin_id}", "/api/crypto/{coin_id}/history"} <= set(
        schema["paths"]
    )


def test_history_days_must_be_an_allowed_value():
    from cryptovault.errors import DomainError

    assert history_days("30") == 30
    for bad in ("2", "", "abc", "-7", None):
        with pytest.raises(DomainError) as raised:
            history_days(bad)
        assert "1, 7, 14, 30, 90, 180, 365" in raised.value.message


@pytest.mark.parametrize("accept", ["*/*", "text/html", "application/json", "image/png"])
def test_crypto_answers_the_same_json_without_reading_accept(client, settings, accept):
    """The hot path skips DRF's Accept parsing (the body is bytes rendered once per
    board): any Accept gets the JSON, never a 406 or the browsable page."""
    from unittest import mock

    from rest_framework.negotiation import DefaultContentNegotiation

    settings.PRICE_SOURCE = "simulated"
    with mock.patch.object(DefaultContentNegotiation, "select_renderer") as negotiation:
        response = client.get("/api/crypto", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["coins"]) == 10
    negotiation.assert_not_called()
