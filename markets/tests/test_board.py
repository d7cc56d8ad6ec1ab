"""The price service: cache, single flight, stale and simulated fallbacks, labels."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from markets import prices
from markets.models import PriceTick, QuotaUsage
from markets.tests.conftest import markets_payload

pytestmark = pytest.mark.django_db


def test_a_fresh_board_comes_from_coingecko_and_is_stored_as_ticks(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    board = prices.prices_board()

    assert board["source"] == "coingecko"
    assert board["cached"] is False
    bitcoin = board["coins"][0]
    assert bitcoin["id"] == "bitcoin"
    assert bitcoin["price_usd"] == "64250.12000000"
    assert bitcoin["change_24h_pct"] == "1.5000"
    assert bitcoin["source"] == "coingecko"
    assert PriceTick.objects.filter(source="coingecko").count() == 10
    assert PriceTick.objects.get(coin_id="bitcoin").price == Decimal("64250.12")


def test_a_second_read_is_a_cache_hit(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    prices.prices_board()
    again = prices.prices_board()

    assert again["cached"] is True
    assert len(coingecko.log) == 1


def test_an_expired_cache_refreshes_once_the_refresh_period_has_passed(coingecko):
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(
        markets_payload(100)
    )
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(
        markets_payload(200)
    )

    prices.prices_board()
    cache.delete(prices.BOARD_KEY)
    cache.delete(prices.REFRESH_GATE_KEY)  # the refresh period has passed
    board = prices.prices_board()

    assert board["coins"][0]["price_usd"] == "200.00000000"
    assert len(coingecko.log) == 2


def test_no_upstream_call_inside_the_refresh_period_even_when_the_cache_expired(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    prices.prices_board()
    cache.delete(prices.BOARD_KEY)  # cache expired early, refresh period not over
    board = prices.prices_board()

    assert len(coingecko.log) == 1
    assert board["coins"][0]["price_usd"] == "64250.12000000"


def test_upstream_failure_serves_the_last_good_prices_labelled_stale(coingecko):
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(markets_payload())
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)

    prices.prices_board()
    cache.delete(prices.BOARD_KEY)
    cache.delete(prices.REFRESH_GATE_KEY)
    board = prices.prices_board()

    assert board["source"] == "stale"
    assert {row["source"] for row in board["coins"]} == {"stale"}
    assert board["coins"][0]["price_usd"] == "64250.12000000"
    age = prices.price_age_seconds(board["coins"][0])
    assert age is not None and age > 0


def test_stale_survives_a_restart_through_stored_ticks(coingecko):
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(markets_payload())
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=503)

    prices.prices_board()
    cache.clear()  # a new process: nothing cached
    board = prices.prices_board()

    assert board["source"] == "stale"
    assert board["coins"][0]["price_usd"] == "64250.12000000"


def test_auto_mode_falls_back_to_the_labelled_simulated_feed(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("<html>", status=429)

    board = prices.prices_board()

    assert board["source"] == "simulated"
    assert {row["source"] for row in board["coins"]} == {"simulated"}
    assert all(Decimal(row["price_usd"]) > 0 for row in board["coins"])
    assert PriceTick.objects.filter(source="simulated").count() == 10


def test_coingecko_only_mode_never_invents_prices(coingecko, settings):
    settings.PRICE_SOURCE = "coingecko"
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)

    board = prices.prices_board()

    assert board["coins"] == []
    assert board["source"] == "stale"


def test_missing_coins_in_the_answer_are_left_out_not_invented(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload()[:3])

    board = prices.prices_board()

    assert [row["id"] for row in board["coins"]] == ["bitcoin", "ethereum", "tether"]


def test_an_impossible_update_time_upstream_is_read_as_now(coingecko):
    payload = markets_payload()
    payload[0]["last_updated"] = "2026-02-30T12:00:00.000Z"  # no such day
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(payload)

    board = prices.prices_board()

    assert board["source"] == "coingecko"
    assert board["coins"][0]["price_usd"] == "64250.12000000"
    age = prices.price_age_seconds(board["coins"][0])
    assert age is not None and age < 5


def test_simulated_mode_never_calls_upstream(coingecko, settings):
    settings.PRICE_SOURCE = "simulated"

    board = prices.prices_board()

    assert board["source"] == "simulated"
    assert coingecko.log == []


def test_the_simulated_walk_starts_from_the_last_real_price(settings):
    from markets.models import Coin

    PriceTick.objects.create(
        coin=Coin.objects.get(pk="bitcoin"),
        price=Decimal("50000"),
        source="coingecko",
        at=datetime.now(UTC) - timedelta(hours=1),
    )

    price = Decimal(prices.prices_board()["coins"][0]["price_usd"])

    assert Decimal("49000") < price < Decimal("51000")


def test_a_spent_budget_means_no_upstream_call(coingecko, settings):
    settings.COINGECKO_MONTHLY_CREDITS = 100
    QuotaUsage.objects.create(month=datetime.now(UTC).date().replace(day=1), credits_used=100)

    board = prices.prices_board()

    assert coingecko.log == []
    assert board["source"] == "simulated"


def test_every_upstream_request_spends_a_credit(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    prices.prices_board()

    assert QuotaUsage.objects.get().credits_used == 1


def test_single_flight_runs_the_producer_once_for_many_callers():
    calls: list[int] = []

    def produce() -> str:
        calls.append(1)
        time.sleep(0.3)
        return "value"

    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                prices.single_flight("sf-test", produce, timeout=60, fallback=lambda: "fallback")
            )
        )
        for _ in range(25)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert calls == [1]
    assert results == ["value"] * 25


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_readers_cause_one_upstream_request(coingecko, tracked_coins):
    def slow_markets(request):
        import json

        from werkzeug import Response

        time.sleep(0.3)
        return Response(json.dumps(markets_payload()), content_type="application/json")

    coingecko.expect_request("/api/v3/coins/markets").respond_with_handler(slow_markets)
    sources: list[str] = []

    def read() -> None:
        from django.db import connection

        sources.append(prices.prices_board()["source"])
        connection.close()

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(coingecko.log) == 1
    assert sources == ["coingecko"] * 16


def test_history_days_must_be_an_allowed_value():
    from cryptovault.errors import DomainError

    assert prices.history_days("30") == 30
    for bad in ("2", "", "abc", "-7", None):
        with pytest.raises(DomainError) as raised:
            prices.history_days(bad)
        assert "1, 7, 14, 30, 90, 180, 365" in raised.value.message


def test_history_from_coingecko_has_points_and_candles_for_one_credit(coingecko):
    coingecko.expect_request("/api/v3/coins/bitcoin/market_chart").respond_with_json(
        {"prices": [[1711843200000, 69702.3], [1711846800000, 69800.1]]}
    )

    history = prices.coin_history("bitcoin", 7)

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
    prices.coin_history("bitcoin", 7)
    assert len(coingecko.log) == 1  # the chart once (candles built from it), then cached
    assert QuotaUsage.objects.get().credits_used == 1


def test_history_falls_back_to_simulated_with_consistent_candles(settings):
    history = prices.coin_history("ethereum", 1)

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

    detail = prices.coin_detail("bitcoin")

    assert detail["description"] == "The first cryptocurrency."
    assert detail["max_supply"] == "21000000.00000000"
    assert detail["ath"] == "126080.00000000"
    assert detail["links"]["homepage"] == "https://bitcoin.org"
    assert detail["price_usd"] == "64250.12000000"


def test_unknown_or_untracked_coin_is_not_found():
    from markets.models import Coin

    Coin.objects.filter(pk="tron").update(is_tracked=False)
    for coin_id in ("nope", "tron"):
        with pytest.raises(prices.CoinNotFound):
            prices.coin_tracked(coin_id)


def test_old_ticks_are_pruned():
    from markets.models import Coin

    coin = Coin.objects.get(pk="bitcoin")
    now = datetime.now(UTC)
    PriceTick.objects.create(coin=coin, price=1, source="simulated", at=now - timedelta(days=31))
    PriceTick.objects.create(coin=coin, price=2, source="simulated", at=now - timedelta(days=1))

    assert prices.ticks_prune(now=now) == 1
    assert list(PriceTick.objects.values_list("price", flat=True)) == [Decimal("2")]
