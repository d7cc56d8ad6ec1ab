"""Market services: the price to trade at, and pruning the ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from markets.models import Coin, PriceTick
from markets.services import coin_price_fresh, price_stale_after_seconds, ticks_prune
from markets.tests.conftest import markets_payload
from markets.tests.factories import PriceTickFactory

pytestmark = pytest.mark.django_db


def tick(coin_id: str, price: str, age_seconds: float) -> PriceTick:
    """A CoinGecko price of ``coin_id`` observed ``age_seconds`` ago."""
    at = datetime.now(UTC) - timedelta(seconds=age_seconds)
    return PriceTickFactory.create(coin_id=coin_id, price=Decimal(price), at=at)


@pytest.fixture
def coingecko_only(coingecko, settings):
    settings.PRICE_SOURCE = "coingecko"
    settings.PRICE_REFRESH_SECONDS = 60
    return coingecko


def test_a_price_newer_than_the_refresh_period_is_used_as_stored(coingecko_only):
    stored = tick("bitcoin", "50000", age_seconds=10)

    assert coin_price_fresh(coin_id="bitcoin") == stored
    assert coingecko_only.log == []


def test_an_older_price_is_refreshed_through_the_board_first(coingecko_only):
    tick("bitcoin", "50000", age_seconds=90)
    payload = markets_payload()
    payload[0]["last_updated"] = datetime.now(UTC).isoformat()  # quoted just now
    coingecko_only.expect_request("/api/v3/coins/markets").respond_with_json(payload)

    fresh = coin_price_fresh(coin_id="bitcoin")

    assert fresh is not None and fresh.price == Decimal("64250.12")
    assert len(coingecko_only.log) == 1


def test_a_price_within_twice_the_refresh_period_is_still_traded(coingecko_only):
    stored = tick("bitcoin", "50000", age_seconds=90)
    coingecko_only.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)

    assert price_stale_after_seconds() == 120
    assert coin_price_fresh(coin_id="bitcoin") == stored


def test_a_price_older_than_the_stale_limit_is_none(coingecko_only):
    tick("bitcoin", "50000", age_seconds=121)
    coingecko_only.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)

    assert coin_price_fresh(coin_id="bitcoin") is None


def test_no_price_or_a_price_of_zero_is_none(coingecko_only):
    coingecko_only.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)
    assert coin_price_fresh(coin_id="ethereum") is None

    tick("ethereum", "0", age_seconds=1)
    assert coin_price_fresh(coin_id="ethereum") is None


def test_old_ticks_are_pruned():
    coin = Coin.objects.get(pk="bitcoin")
    now = datetime.now(UTC)
    PriceTickFactory.create(coin=coin, price=1, source="simulated", at=now - timedelta(days=31))
    PriceTickFactory.create(coin=coin, price=2, source="simulated", at=now - timedelta(days=1))

    assert ticks_prune(now=now) == 1
    assert list(PriceTick.objects.values_list("price", flat=True)) == [Decimal("2")]
