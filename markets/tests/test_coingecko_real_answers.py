"""What CoinGecko really sends, recorded in other projects, served by the local stub.

Each answer comes from ``fixtures/coingecko/`` (see its README for where each was
recorded) and goes through the real client and price service; only the clock of the
``Retry-After`` tests is ours to move.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache, caches

from markets import budget
from markets.board import BOARD_KEY, REFRESH_GATE_KEY, prices_board
from markets.board_row import price_age_seconds
from markets.coingecko import CoinGeckoClient, CoinGeckoError, number
from markets.feed import PriceFeed, listeners_touch
from markets.history import coin_history
from markets.models import Coin, PriceTick, QuotaUsage
from markets.tests.conftest import price_usd

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "coingecko"
CLOUDFLARE_429 = (
    "<!DOCTYPE html><html><head><title>Access denied | api.coingecko.com used Cloudflare"
    "</title></head><body>Error 1015: You are being rate limited</body></html>"
)


def recorded(name: str) -> str:
    """A recorded answer's exact text: numbers such as ``6.31917e-7`` stay as sent."""
    return (FIXTURES / name).read_text()


def serve(httpserver, path: str, text: str, status: int = 200, headers=None) -> None:
    httpserver.expect_request(f"/api/v3{path}").respond_with_data(
        text, status=status, content_type="application/json", headers=headers
    )


def serve_once(httpserver, path: str, text: str, status: int = 200, headers=None) -> None:
    httpserver.expect_ordered_request(f"/api/v3{path}").respond_with_data(
        text, status=status, content_type="application/json", headers=headers
    )


def period_passes() -> None:
    """The board's cache and the refresh period are over: the next read refreshes."""
    cache.delete(BOARD_KEY)
    cache.delete(REFRESH_GATE_KEY)
    caches["process"].clear()


def upstream_calls(httpserver, path: str) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == f"/api/v3{path}")


class Clock:
    """Wall-clock seconds that only move when the test says so."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The price service's clients read this clock (each call builds a fresh client from
    the settings, as a new process would)."""
    clock = Clock()
    monkeypatch.setattr(
        "markets.coingecko.client", lambda: CoinGeckoClient.from_settings(clock=clock)
    )
    return clock


def credits_used() -> int:
    usage = QuotaUsage.objects.first()
    return usage.credits_used if usage else 0


# --- numbers: exponents, strings, roi ------------------------------------------------


def test_exponent_prices_are_read_as_decimals_with_every_digit(coingecko):
    serve(coingecko, "/coins/markets", recorded("coins_markets_2023-01-08.json"))

    rows = CoinGeckoClient.from_settings().markets(["bitcoin", "bittorrent"])

    bittorrent = next(row for row in rows if row["id"] == "bittorrent")
    assert isinstance(bittorrent["current_price"], Decimal)
    assert bittorrent["current_price"] == Decimal("6.31917e-7")
    assert str(bittorrent["current_price"]) == "6.31917E-7"  # all six digits, no float noise
    assert bittorrent["price_change_24h"] == Decimal("-3.181914837e-9")
    assert format(bittorrent["atl"], "f") == "0.000000600209"  # plain notation, exact
    assert rows[0]["market_cap"] == 326407877229  # integers stay integers


def test_an_exponent_price_reaches_the_board_and_the_ticks_with_every_digit(coingecko):
    Coin.objects.create(id="bittorrent", symbol="btt", name="BitTorrent", is_tracked=True)
    serve(coingecko, "/coins/markets", recorded("coins_markets_2023-01-08.json"))

    board = prices_board()

    row = next(row for row in board["coins"] if row["id"] == "bittorrent")
    assert price_usd(row) == Decimal("6.31917e-7")
    assert row["price_usd"] is not None
    assert "E" not in row["price_usd"].upper()  # written back in plain notation
    assert row["source"] == "coingecko"
    assert PriceTick.objects.get(coin_id="bittorrent").price == Decimal("6.31917e-7")


def test_numbers_sent_as_strings_and_roi_as_0_or_null_are_read(coingecko):
    serve(coingecko, "/coins/markets", recorded("coins_markets_numbers_as_strings_2018-08-28.json"))

    [row] = CoinGeckoClient.from_settings().markets(["bitcoin"])

    assert number(row["price_change_percentage_24h"]) == Decimal("4.46323343521924")
    assert number(row["circulating_supply"]) == Decimal("17236100.0")
    assert number(row["current_price"]) == Decimal("7015.11823787848")
    assert number(row["roi"]) == 0
    assert [number(v) for v in ("null", None, "", "NaN", True, {"times": 1})] == [None] * 6


def test_a_board_from_numbers_as_strings_leaves_out_coins_never_priced(coingecko):
    serve(coingecko, "/coins/markets", recorded("coins_markets_numbers_as_strings_2018-08-28.json"))

    board = prices_board()

    assert board["source"] == "coingecko"
    [bitcoin] = board["coins"]  # the nine others were never priced: nothing invented
    assert bitcoin["id"] == "bitcoin"
    assert price_usd(bitcoin) == Decimal("7015.11823787848")
    assert bitcoin["change_24h_pct"] == "4.4632"
    assert PriceTick.objects.count() == 1


def test_roi_and_max_supply_as_the_string_null_do_not_break_the_board(coingecko):
    serve(coingecko, "/coins/markets", recorded("coins_markets_roi_string_null_2024-01-10.json"))

    board = prices_board()

    assert [(row["id"], row["source"]) for row in board["coins"]] == [
        ("bitcoin", "coingecko"),
        ("usd-coin", "coingecko"),
    ]
    assert price_usd(board["coins"][1]) == Decimal("0.998641")


# --- market_chart with null points ----------------------------------------------------


def test_a_null_point_in_a_chart_is_skipped_and_the_history_cached(coingecko, client):
    serve(
        coingecko,
        "/coins/bitcoin/market_chart",
        recorded("market_chart_null_point_2024-04-01.json"),
    )

    response = client.get("/api/crypto/bitcoin/history?days=7")
    again = client.get("/api/crypto/bitcoin/history?days=7")

    assert response.status_code == 200  # was a 500: float(None)
    body = response.json()
    assert body["source"] == "coingecko"
    assert body["prices"] == [
        [1711843200000, 69702.3087473573],
        [1711983682000, 68887.7495158568],
    ]
    assert [candle["close"] for candle in body["candles"]] == [69702.3087473573, 68887.7495158568]
    assert again.json() == body
    assert upstream_calls(coingecko, "/coins/bitcoin/market_chart") == 1  # cached
    assert credits_used() == 1  # one credit per key per period, not one per request


def test_chart_points_keep_the_recorded_digits_as_decimals(coingecko):
    serve(
        coingecko,
        "/coins/bitcoin/market_chart",
        recorded("market_chart_null_point_2024-04-01.json"),
    )

    history = coin_history(coin_id="bitcoin", days=7)

    assert history["prices"][0] == [1711843200000, Decimal("69702.3087473573")]
    assert all(isinstance(candle["open"], Decimal) for candle in history["candles"])


def test_a_chart_with_no_usable_point_falls_back_and_never_answers_500(coingecko, client):
    chart = json.loads(recorded("market_chart_2024-04-01.json"))
    chart["prices"] = [[ms, None] for ms, _ in chart["prices"]] + [[1711990000000, "n/a"]]
    serve(coingecko, "/coins/bitcoin/market_chart", json.dumps(chart))

    response = client.get("/api/crypto/bitcoin/history?days=7")
    client.get("/api/crypto/bitcoin/history?days=7")

    assert response.status_code == 200
    assert response.json()["source"] == "simulated"  # PRICE_SOURCE=auto, nothing real yet
    assert upstream_calls(coingecko, "/coins/bitcoin/market_chart") == 1  # the fallback is cached


def test_a_chart_with_no_usable_point_serves_the_last_good_chart_as_stale(coingecko):
    good = recorded("market_chart_2024-04-01.json")
    empty = json.loads(good)
    empty["prices"] = [[ms, None] for ms, _ in empty["prices"]]
    serve_once(coingecko, "/coins/bitcoin/market_chart", good)
    serve_once(coingecko, "/coins/bitcoin/market_chart", json.dumps(empty))

    first = coin_history(coin_id="bitcoin", days=7)
    cache.delete("markets:history:bitcoin:7")  # the range's cache period is over
    second = coin_history(coin_id="bitcoin", days=7)

    assert second["source"] == "stale"
    assert second["prices"] == first["prices"]
    assert len(second["prices"]) == 3


# --- /coins/markets answering [] or leaving a coin out ----------------------------------


def test_an_empty_markets_answer_keeps_the_last_prices_labelled_stale(coingecko):
    serve_once(coingecko, "/coins/markets", recorded("coins_markets_2023-01-08.json"))
    serve_once(coingecko, "/coins/markets", "[]")

    before = prices_board()
    period_passes()
    board = prices_board()

    assert len(board["coins"]) == 10  # no empty board
    assert {row["source"] for row in board["coins"]} == {"stale"}
    assert [row["price_usd"] for row in board["coins"]] == [
        row["price_usd"] for row in before["coins"]
    ]
    bitcoin = board["coins"][0]
    assert bitcoin["last_updated"] == "2023-01-08T16:49:40.132000+00:00"  # its own age
    age = price_age_seconds(bitcoin)
    assert age is not None and age > 3600
    assert PriceTick.objects.count() == 10  # nothing stored for the failed refresh


def test_the_feed_keeps_running_when_markets_answers_empty(coingecko):
    serve_once(coingecko, "/coins/markets", recorded("coins_markets_2023-01-08.json"))
    serve_once(coingecko, "/coins/markets", "[]")
    feed = PriceFeed(owner="test-feed")
    listeners_touch()

    assert feed.step() is True
    period_passes()
    assert feed.step() is True  # published the stale board, did not stop

    assert upstream_calls(coingecko, "/coins/markets") == 2


def test_an_empty_markets_answer_with_nothing_to_fall_back_on_is_not_an_empty_board(coingecko):
    serve(coingecko, "/coins/markets", "[]")

    board = prices_board()

    assert board["source"] == "simulated"  # PRICE_SOURCE=auto, labelled as such
    assert len(board["coins"]) == 10


def test_a_coin_missing_from_the_answer_keeps_its_last_price_labelled_stale(coingecko):
    full = recorded("coins_markets_2023-01-08.json")
    without_tron = json.dumps([row for row in json.loads(full) if row["id"] != "tron"])
    serve_once(coingecko, "/coins/markets", full)
    serve_once(coingecko, "/coins/markets", without_tron)

    before = prices_board()
    period_passes()
    board = prices_board()

    by_id = {row["id"]: row for row in board["coins"]}
    assert len(by_id) == 10
    assert by_id["tron"]["source"] == "stale"
    assert by_id["tron"]["price_usd"] == before["coins"][-1]["price_usd"]
    assert by_id["tron"]["last_updated"] == "2023-01-08T16:49:31.576000+00:00"
    assert {row["source"] for row in board["coins"] if row["id"] != "tron"} == {"coingecko"}
    assert board["source"] == "coingecko"
    assert PriceTick.objects.filter(coin_id="tron").count() == 1  # not stored twice


def test_a_missing_coin_keeps_its_last_price_after_a_restart(coingecko):
    full = recorded("coins_markets_2023-01-08.json")
    without_tron = json.dumps([row for row in json.loads(full) if row["id"] != "tron"])
    serve_once(coingecko, "/coins/markets", full)
    serve_once(coingecko, "/coins/markets", without_tron)

    prices_board()
    cache.clear()  # a new process: the last good board is gone, the ticks remain
    caches["process"].clear()
    board = prices_board()

    tron = next(row for row in board["coins"] if row["id"] == "tron")
    assert tron["source"] == "stale"
    assert price_usd(tron) == Decimal("0.052672")


def test_a_coin_never_priced_and_missing_from_the_answer_is_left_out(coingecko):
    full = recorded("coins_markets_2023-01-08.json")
    serve(
        coingecko, "/coins/markets", json.dumps([r for r in json.loads(full) if r["id"] != "tron"])
    )

    board = prices_board()

    assert "tron" not in {row["id"] for row in board["coins"]}
    assert len(board["coins"]) == 9
    assert {row["source"] for row in board["coins"]} == {"coingecko"}


# --- 429 with Retry-After: 119, honoured by every process -------------------------------


def test_retry_after_119_stops_every_upstream_call_until_it_has_passed(coingecko, clock):
    serve_once(coingecko, "/coins/markets", recorded("coins_markets_2023-01-08.json"))
    serve_once(
        coingecko,
        "/coins/markets",
        recorded("rate_limit_429.json"),
        status=429,
        headers={"Retry-After": "119", "Server": "cloudflare"},
    )
    serve_once(coingecko, "/coins/markets", recorded("coins_markets_2023-01-08.json"))

    prices_board()
    period_passes()
    limited = prices_board()  # the 429
    assert upstream_calls(coingecko, "/coins/markets") == 2
    assert {row["source"] for row in limited["coins"]} == {"stale"}
    spent = credits_used()

    for _ in range(3):  # three more refresh periods inside the 119 s
        clock.advance(39)
        period_passes()
        board = prices_board()
        assert {row["source"] for row in board["coins"]} == {"stale"}
    assert upstream_calls(coingecko, "/coins/markets") == 2  # nobody called
    assert credits_used() == spent  # and no credit went

    clock.advance(3)  # 120 s after the 429
    period_passes()
    board = prices_board()

    assert upstream_calls(coingecko, "/coins/markets") == 3
    assert {row["source"] for row in board["coins"]} == {"coingecko"}


def test_retry_after_is_shared_with_a_second_process(coingecko, clock):
    serve(
        coingecko,
        "/ping",
        recorded("rate_limit_429.json"),
        status=429,
        headers={"Retry-After": "119"},
    )
    first = CoinGeckoClient.from_settings(clock=clock)

    with pytest.raises(CoinGeckoError) as raised:
        first.ping()
    assert raised.value.retry_after == 119
    assert "exceeded the Rate Limit" in str(raised.value)

    # Another process: its own client and process cache, the same shared cache.
    caches["process"].clear()
    second = CoinGeckoClient.from_settings(clock=clock)
    clock.advance(118)
    with pytest.raises(CoinGeckoError, match="Retry-After") as waiting:
        second.ping()

    assert waiting.value.retry_after == pytest.approx(1)
    assert len(coingecko.log) == 1
    assert credits_used() == 1  # the 429 itself counted; the refusals did not


def test_a_cloudflare_html_429_is_honoured_from_its_header(coingecko, clock):
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data(
        CLOUDFLARE_429, status=429, content_type="text/html", headers={"Retry-After": "119"}
    )

    with pytest.raises(CoinGeckoError) as raised:
        CoinGeckoClient.from_settings(clock=clock).markets(["bitcoin"])
    assert "non-JSON body" in str(raised.value)
    assert raised.value.retry_after == 119

    clock.advance(100)
    board = prices_board()

    assert len(coingecko.log) == 1  # not retried, and not called again by the board
    assert board["source"] == "simulated"  # auto mode, nothing real yet: labelled


def test_health_says_the_price_source_is_backing_off(coingecko, clock, client):
    serve(
        coingecko,
        "/ping",
        recorded("rate_limit_429.json"),
        status=429,
        headers={"Retry-After": "119"},
    )
    with pytest.raises(CoinGeckoError):
        CoinGeckoClient.from_settings(clock=clock).ping()

    check = client.get("/health").json()["checks"]["price_source"]

    assert 100 < check["quota"]["retry_after_seconds"] <= 119
    assert budget.budget_state().backing_off
