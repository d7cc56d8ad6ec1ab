"""A coin's details and history: CoinGecko's fields, candles, fallbacks, not found."""

from __future__ import annotations

from decimal import Decimal

import pytest

from markets.history import coin_detail, coin_history
from markets.models import QuotaUsage
from markets.selectors import CoinNotFound, coin_tracked
from markets.tests.conftest import markets_payload

pytestmark = pytest.mark.django_db


def test_history_from_coingecko_has_points_and_candles_for_one_credit(coingecko):
    coingecko.expect_request("/api/v3/coins/bitcoin/market_chart").respond_with_json(
        {"prices": [[1711843200000, 69702.3], [1711846800000, 69800.1]]}
    )

    history = coin_history(coin_id="bitcoin", days=7)

    assert history["source"] == "coingecko"
    assert history["prices"] == [
        [1711843200000, Decimal("69702.3")],
        [1711846800000, Decimal("69800.1")],
    ]
    # Both points fall in the 4-hour candle closing at 1711843200 + 4 h.
    assert history["candles"] == [
        {
            "time": 1711843200 + 4 * 3600,
            "open": Decimal("69702.3"),
            "high": Decimal("69800.1"),
            "low": Decimal("69702.3"),
            "close": Decimal("69800.1"),
        }
    ]
    coin_history(coin_id="bitcoin", days=7)
    assert len(coingecko.log) == 1  # the chart once (candles built from it), then cached
    assert QuotaUsage.objects.get().credits_used == 1


def test_history_falls_back_to_simulated_with_consistent_candles(settings):
    history = coin_history(coin_id="ethereum", days=1)

    assert history["source"] == "simulated"
    assert len(history["prices"]) == 289  # 5-minute points over a day
    assert history["candles"]
    for candle in history["candles"]:
        assert candle["low"] <= min(candle["open"], candle["close"])
        assert candle["high"] >= max(candle["open"], candle["close"])


def test_coin_detail_maps_coingecko_fields(coingecko):
    coingecko.expect_request("/api/v3/coins/bitcoin").respond_with_json(
        {
            "id": "bitcoin",
            "description": {"en": "The first cryptocurrency."},
            "links": {
                "homepage": ["https://bitcoin.org", ""],
                "whitepaper": "https://bitcoin.org/bitcoin.pdf",
            },
            "market_data": {
                "circulating_supply": 19_800_000.0,
                "total_supply": 21_000_000.0,
                "max_supply": 21_000_000.0,
                "ath": {"usd": 126080},
                "ath_date": {"usd": "2025-10-06T18:57:42.558Z"},
            },
        }
    )
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    detail = coin_detail(coin_id="bitcoin")

    assert detail["description"] == "The first cryptocurrency."
    assert detail["max_supply"] == "21000000.00000000"
    assert detail["ath"] == "126080.00000000"
    assert detail["links"]["homepage"] == "https://bitcoin.org"
    assert detail["price_usd"] == "64250.12000000"


def test_unknown_or_untracked_coin_is_not_found():
    from markets.models import Coin

    Coin.objects.filter(pk="tron").update(is_tracked=False)
    for coin_id in ("nope", "tron"):
        with pytest.raises(CoinNotFound):
            coin_tracked(coin_id=coin_id)
