"""The price board: cache, single flight, stale and simulated fallbacks, labels."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache

from markets.board import BOARD_KEY, REFRESH_GATE_KEY, prices_board
from markets.board_row import BoardRead, price_age_seconds
from markets.models import PriceTick, QuotaUsage
from markets.tests.conftest import markets_payload, price_usd
from markets.tests.factories import PriceTickFactory

pytestmark = pytest.mark.django_db


def test_a_fresh_board_comes_from_coingecko_and_is_stored_as_ticks(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    board = prices_board()

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

    prices_board()
    again = prices_board()

    assert again["cached"] is True
    assert len(coingecko.log) == 1


def test_an_expired_cache_refreshes_once_the_refresh_period_has_passed(coingecko):
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(
        markets_payload(100)
    )
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(
        markets_payload(200)
    )

    prices_board()
    cache.delete(BOARD_KEY)
    cache.delete(REFRESH_GATE_KEY)  # the refresh period has passed
    board = prices_board()

    assert board["coins"][0]["price_usd"] == "200.00000000"
    assert len(coingecko.log) == 2


def test_no_upstream_call_inside_the_refresh_period_even_when_the_cache_expired(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    prices_board()
    cache.delete(BOARD_KEY)  # cache expired early, refresh period not over
    board = prices_board()

    assert len(coingecko.log) == 1
    assert board["coins"][0]["price_usd"] == "64250.12000000"


def test_upstream_failure_serves_the_last_good_prices_labelled_stale(coingecko):
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(markets_payload())
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)

    prices_board()
    cache.delete(BOARD_KEY)
    cache.delete(REFRESH_GATE_KEY)
    board = prices_board()

    assert board["source"] == "stale"
    assert {row["source"] for row in board["coins"]} == {"stale"}
    assert board["coins"][0]["price_usd"] == "64250.12000000"
    age = price_age_seconds(board["coins"][0])
    assert age is not None and age > 0


def test_stale_survives_a_restart_through_stored_ticks(coingecko):
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(markets_payload())
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=503)

    prices_board()
    cache.clear()  # a new process: nothing cached
    board = prices_board()

    assert board["source"] == "stale"
    assert board["coins"][0]["price_usd"] == "64250.12000000"


def test_auto_mode_falls_back_to_the_labelled_simulated_feed(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("<html>", status=429)

    board = prices_board()

    assert board["source"] == "simulated"
    assert {row["source"] for row in board["coins"]} == {"simulated"}
    assert all(price_usd(row) > 0 for row in board["coins"])
    assert PriceTick.objects.filter(source="simulated").count() == 10


def test_coingecko_only_mode_never_invents_prices(coingecko, settings):
    settings.PRICE_SOURCE = "coingecko"
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=500)

    board = prices_board()

    assert board["coins"] == []
    assert board["source"] == "stale"


def test_missing_coins_in_the_answer_are_left_out_not_invented(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload()[:3])

    board = prices_board()

    assert [row["id"] for row in board["coins"]] == ["bitcoin", "ethereum", "tether"]


def test_an_impossible_update_time_upstream_is_read_as_now(coingecko):
    payload = markets_payload()
    payload[0]["last_updated"] = "2026-02-30T12:00:00.000Z"  # no such day
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(payload)

    board = prices_board()

    assert board["source"] == "coingecko"
    assert board["coins"][0]["price_usd"] == "64250.12000000"
    age = price_age_seconds(board["coins"][0])
    assert age is not None and age < 5


def test_simulated_mode_never_calls_upstream(coingecko, settings):
    settings.PRICE_SOURCE = "simulated"

    board = prices_board()

    assert board["source"] == "simulated"
    assert coingecko.log == []


def test_the_simulated_walk_starts_from_the_last_real_price(settings):
    PriceTickFactory.create(
        coin_id="bitcoin", price=Decimal("50000"), at=datetime.now(UTC) - timedelta(hours=1)
    )

    price = price_usd(prices_board()["coins"][0])

    assert Decimal("49000") < price < Decimal("51000")


def test_a_spent_budget_means_no_upstream_call(coingecko, settings):
    settings.COINGECKO_MONTHLY_CREDITS = 100
    QuotaUsage.objects.create(month=datetime.now(UTC).date().replace(day=1), credits_used=100)

    board = prices_board()

    assert coingecko.log == []
    assert board["source"] == "simulated"


def test_every_upstream_request_spends_a_credit(coingecko):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())

    prices_board()

    assert QuotaUsage.objects.get().credits_used == 1


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

        sources.append(prices_board()["source"])
        connection.close()

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(coingecko.log) == 1
    assert sources == ["coingecko"] * 16


@pytest.mark.django_db(transaction=True)
def test_an_expired_board_is_served_while_one_request_refreshes_it(coingecko, tracked_coins):
    """A cache expiry makes ONE request wait on CoinGecko; the others get the previous
    board at once (before: every request polled until the refresh was done)."""
    import json

    from django.db import connection
    from werkzeug import Response

    asked, release = threading.Event(), threading.Event()
    answers = iter([markets_payload(100), markets_payload(200)])

    def markets(request):
        body = next(answers)
        if body[0]["current_price"] == 200:
            asked.set()
            release.wait(10)
        return Response(json.dumps(body), content_type="application/json")

    coingecko.expect_request("/api/v3/coins/markets").respond_with_handler(markets)
    prices_board()
    cache.delete(BOARD_KEY)  # the period is over
    cache.delete(REFRESH_GATE_KEY)
    prices: dict[str, str | None] = {}

    def read(name: str) -> None:
        prices[name] = prices_board()["coins"][0]["price_usd"]
        connection.close()

    refresher = threading.Thread(target=read, args=("refresher",), daemon=True)
    reader = threading.Thread(target=read, args=("reader",), daemon=True)
    try:
        refresher.start()
        assert asked.wait(5)
        reader.start()
        reader.join(5)
        assert prices.get("reader") == "100.00000000"
    finally:
        release.set()
    refresher.join(5)
    assert prices["refresher"] == "200.00000000"
    assert len(coingecko.log) == 2


def test_the_memo_is_served_while_one_thread_reads_the_shared_board_again(settings):
    """Past its second, the process memo is re-read by one thread; the others keep
    answering from it instead of all waiting on Redis together."""
    settings.PRICE_SOURCE = "simulated"
    prices_board()
    first = prices_board()  # read from the shared cache: now in the memo
    assert first["cached"] is True
    time.sleep(1.1)  # the memo is due for a re-read
    reading, release = threading.Event(), threading.Event()

    class SlowRedis:  # the shared cache, slow to answer any read of the board
        def get(self, key, *args, **kwargs):
            if key == BOARD_KEY:
                reading.set()
                release.wait(10)
            return cache.get(key, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(cache, name)

    boards: dict[str, BoardRead] = {}
    with mock.patch("markets.board.cache", SlowRedis()):
        rereader = threading.Thread(target=lambda: boards.update(a=prices_board()), daemon=True)
        try:
            rereader.start()
            assert reading.wait(5)
            other = threading.Thread(target=lambda: boards.update(b=prices_board()), daemon=True)
            other.start()
            other.join(5)
            assert boards.get("b") == first
        finally:
            release.set()
        rereader.join(5)
    assert boards["a"] == first


def test_a_refresh_period_shorter_than_the_cache_still_refreshes_every_period(coingecko, settings):
    """Found by the topology tests: under a 20 s refresh (the pro plan) the board was
    kept the full 60 s of PRICE_CACHE_SECONDS, so no tick was stored for a minute and
    market orders were refused as stale (older than two periods) before it ended."""
    from markets.services import coin_price_fresh

    settings.PRICE_REFRESH_SECONDS = 1
    settings.PRICE_CACHE_SECONDS = 60
    for price in (100, 200):  # each quoted as it is served: CoinGecko's time is now
        coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_handler(
            lambda request, price=price: _quoted_now(markets_payload(price))
        )
    prices_board()

    time.sleep(1.2)  # one refresh period later, well inside the cache's 60 s
    tick = coin_price_fresh(coin_id="bitcoin")

    assert tick is not None
    assert tick.price == Decimal("200")
    assert len(coingecko.log) == 2


def _quoted_now(payload: list[dict]):
    from werkzeug import Response

    now = datetime.now(UTC).isoformat()
    return Response(
        json.dumps([{**row, "last_updated": now} for row in payload]),
        content_type="application/json",
    )


def test_the_memo_hands_out_the_board_without_unpickling_it(settings):
    """A local-memory cache unpickles the whole board on every read (the hot path of
    GET /api/crypto); the memo keeps the objects, so two reads share the rows."""
    settings.PRICE_SOURCE = "simulated"
    prices_board()
    first = prices_board()  # from the shared cache, now in the memo
    again = prices_board()

    assert again["coins"] is first["coins"]
    assert again == first


def test_clearing_the_process_cache_drops_the_memo(settings):
    from django.core.cache import caches

    settings.PRICE_SOURCE = "simulated"
    prices_board()
    first = prices_board()
    caches["process"].clear()

    assert prices_board()["coins"] is not first["coins"]  # read from the shared cache again
