"""The real CoinGecko client against a local stub: answers and every failure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from werkzeug import Response

from markets.coingecko import CoinGeckoClient, CoinGeckoError
from markets.tests.conftest import markets_payload

RATE_LIMIT_BODY = {
    "status": {
        "error_code": 429,
        "error_message": "You've exceeded the Rate Limit. Please visit "
        "https://www.coingecko.com/en/api/pricing to subscribe to our API plans.",
    }
}
CLOUDFLARE_HTML = "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(httpserver, sleeps) -> CoinGeckoClient:
    return CoinGeckoClient(
        base_url=httpserver.url_for("/api/v3"),
        plan="demo",
        api_key="demo-key",
        read_timeout=0.5,
        connect_timeout=0.5,
        sleep=sleeps.append,
    )


def test_markets_fetches_every_coin_in_one_request_with_the_demo_key(httpserver, client):
    httpserver.expect_oneshot_request(
        "/api/v3/coins/markets",
        query_string={
            "vs_currency": "usd",
            "ids": "bitcoin,ethereum",
            "per_page": "2",
            "page": "1",
            "sparkline": "true",
            "price_change_percentage": "24h",
        },
        headers={"x-cg-demo-api-key": "demo-key"},
    ).respond_with_json(markets_payload()[:2])

    rows = client.markets(["bitcoin", "ethereum"])

    assert [row["id"] for row in rows] == ["bitcoin", "ethereum"]
    assert len(httpserver.log) == 1


def test_pro_plan_uses_the_pro_header(httpserver):
    httpserver.expect_request(
        "/api/v3/ping", headers={"x-cg-pro-api-key": "pro-key"}
    ).respond_with_json({"gecko_says": "(V3) To the Moon!"})
    pro = CoinGeckoClient(base_url=httpserver.url_for("/api/v3"), plan="pro", api_key="pro-key")

    assert pro.ping() == {"gecko_says": "(V3) To the Moon!"}
    assert "x-cg-demo-api-key" not in httpserver.log[0][0].headers


def test_429_with_retry_after_is_honoured_then_succeeds(httpserver, client, sleeps):
    httpserver.expect_ordered_request("/api/v3/ping").respond_with_json(
        RATE_LIMIT_BODY, status=429, headers={"Retry-After": "2"}
    )
    httpserver.expect_ordered_request("/api/v3/ping").respond_with_json({"gecko_says": "ok"})

    assert client.ping() == {"gecko_says": "ok"}
    assert sleeps == [2.0]


def test_429_with_a_long_retry_after_is_not_slept_through(httpserver, client, sleeps):
    httpserver.expect_request("/api/v3/ping").respond_with_json(
        RATE_LIMIT_BODY, status=429, headers={"Retry-After": "119"}
    )

    with pytest.raises(CoinGeckoError) as raised:
        client.ping()

    assert raised.value.status == 429
    assert raised.value.retry_after == 119
    assert "exceeded the Rate Limit" in str(raised.value)
    assert sleeps == []
    assert len(httpserver.log) == 1


def test_429_as_a_cloudflare_html_page_is_an_error_after_bounded_retries(
    httpserver, client, sleeps
):
    httpserver.expect_request("/api/v3/ping").respond_with_data(
        CLOUDFLARE_HTML, status=429, content_type="text/html"
    )

    with pytest.raises(CoinGeckoError, match="429"):
        client.ping()

    assert len(httpserver.log) == 3  # one try and two retries, no storm
    assert len(sleeps) == 2
    assert all(0 < wait <= 5 for wait in sleeps)


def test_500_is_retried_with_backoff_then_reported(httpserver, client, sleeps):
    httpserver.expect_request("/api/v3/ping").respond_with_data("oops", status=500)

    with pytest.raises(CoinGeckoError) as raised:
        client.ping()

    assert raised.value.status == 500
    assert len(httpserver.log) == 3


def test_a_400_is_not_retried(httpserver, client):
    httpserver.expect_request("/api/v3/coins/markets").respond_with_json(
        {"error": "invalid vs_currency"}, status=400
    )

    with pytest.raises(CoinGeckoError, match="400"):
        client.markets(["bitcoin"])
    assert len(httpserver.log) == 1


def test_timeout_is_an_error(httpserver, client):
    def slow(request):
        import time

        time.sleep(1.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/api/v3/ping").respond_with_handler(slow)

    with pytest.raises(CoinGeckoError, match="Timeout"):
        client.ping()


def test_malformed_json_is_an_error(httpserver, client):
    httpserver.expect_request("/api/v3/ping").respond_with_data(
        '{"gecko_says": ', content_type="application/json"
    )

    with pytest.raises(CoinGeckoError, match="malformed JSON"):
        client.ping()


def test_html_with_200_is_an_error(httpserver, client):
    httpserver.expect_request("/api/v3/ping").respond_with_data(
        CLOUDFLARE_HTML, content_type="text/html"
    )

    with pytest.raises(CoinGeckoError, match="expected JSON"):
        client.ping()


def test_unknown_coin_is_an_error_with_404(httpserver, client):
    httpserver.expect_request("/api/v3/coins/nope").respond_with_json(
        {"error": "Could not find coin with the given id"}, status=404
    )

    with pytest.raises(CoinGeckoError) as raised:
        client.coin("nope")
    assert raised.value.status == 404


def test_empty_object_for_unknown_ids_is_not_a_list(httpserver, client):
    httpserver.expect_request("/api/v3/coins/markets").respond_with_json({})

    with pytest.raises(CoinGeckoError, match="list"):
        client.markets(["nope"])


def test_chart_and_candles(httpserver, client):
    httpserver.expect_request(
        "/api/v3/coins/bitcoin/market_chart", query_string={"vs_currency": "usd", "days": "7"}
    ).respond_with_json(
        {"prices": [[1711843200000, 69702.3]], "market_caps": [], "total_volumes": []}
    )
    httpserver.expect_request(
        "/api/v3/coins/bitcoin/ohlc", query_string={"vs_currency": "usd", "days": "7"}
    ).respond_with_json([[1709395200000, 61942, 62211, 61721, 61845]])

    # Numbers come back as Decimal from their text, integers as int.
    assert client.market_chart("bitcoin", 7)["prices"] == [[1711843200000, Decimal("69702.3")]]
    assert client.ohlc("bitcoin", 7) == [[1709395200000, 61942, 62211, 61721, 61845]]


def test_every_attempt_is_counted(httpserver, sleeps):
    counted: list[int] = []
    counting = CoinGeckoClient(
        base_url=httpserver.url_for("/api/v3"),
        sleep=sleeps.append,
        on_request=lambda: counted.append(1),
    )
    httpserver.expect_request("/api/v3/ping").respond_with_data("down", status=503)

    with pytest.raises(CoinGeckoError):
        counting.ping()
    assert len(counted) == len(httpserver.log) == 3


def test_requests_that_never_reach_coingecko_spend_no_credit(sleeps):
    counted: list[int] = []
    offline = CoinGeckoClient(
        base_url="http://127.0.0.1:9/api/v3",  # the discard port: connection refused
        sleep=sleeps.append,
        on_request=lambda: counted.append(1),
    )

    with pytest.raises(CoinGeckoError, match="ConnectionError"):
        offline.ping()
    assert counted == []
    assert len(sleeps) == 2  # still retried, with backoff
