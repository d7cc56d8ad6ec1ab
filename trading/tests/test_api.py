"""The trading API: SPEC §7 shapes, codes, pagination, isolation between users."""

from __future__ import annotations

import csv
import io
import zlib
from decimal import Decimal
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.management import call_command

from accounts.tests.factories import api_for
from accounts.tokens import tokens_for
from markets.tests.factories import PriceTickFactory
from trading.models import LedgerEntry, Order

pytestmark = pytest.mark.django_db

ORDER_FIELDS = {
    "id",
    "coin",
    "side",
    "type",
    "status",
    "quantity",
    "quote_amount",
    "limit_price",
    "stop_price",
    "filled_quantity",
    "average_price",
    "fee",
    "client_order_id",
    "created_at",
    "filled_at",
    "cancelled_at",
}


def buy(api, **extra):
    body = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.1", **extra}
    return api.post("/api/orders", body, format="json")


def test_everything_needs_a_login(client):
    for path in (
        "/api/balances",
        "/api/orders",
        "/api/orders/1",
        "/api/portfolio",
        "/api/transactions",
    ):
        assert client.get(path).status_code == 401
    assert client.post("/api/orders", {}).status_code == 401


def test_place_a_market_order_with_the_exact_shape(trader_api):
    response = buy(trader_api)

    assert response.status_code == 201
    order = response.json()
    assert set(order) == ORDER_FIELDS
    assert order["status"] == "filled"
    assert order["quantity"] == "0.10000000"
    assert order["average_price"] == "50000.00000000"
    assert order["fee"] == "5.00000000"
    balances = trader_api.get("/api/balances").json()
    assert balances == [
        {"asset": "USD", "available": "4995.00000000", "held": "0.00000000"},
        {"asset": "bitcoin", "available": "0.10000000", "held": "0.00000000"},
    ]


def test_a_repeated_client_order_id_answers_200_with_the_same_order(trader_api):
    first = buy(trader_api, client_order_id="retry-7")
    second = buy(trader_api, client_order_id="retry-7")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert trader_api.get("/api/orders").json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"quantity": "100"}, "insufficient_funds", None),
        ({"coin": "nope"}, "unknown_coin", "coin"),
        ({"quantity": "-1"}, "invalid_quantity", "quantity"),
        ({"quantity": "abc"}, "invalid", "quantity"),
        ({"side": "hold"}, "invalid", "side"),
    ],
)
def test_bad_orders_answer_400_with_a_code(trader_api, body, code, field):
    response = buy(trader_api, **body)

    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == code
    if field:
        assert field in payload.get("errors", {})


def test_stale_price_is_price_unavailable(trader, settings):
    settings.PRICE_SOURCE = "coingecko"  # nothing fresher can be fetched

    response = buy(api_for(trader))

    assert response.status_code == 400
    assert response.json()["code"] == "price_unavailable"


def test_list_filter_get_and_cancel(trader_api):
    limit = buy(trader_api, type="limit", limit_price="40000").json()
    buy(trader_api, quantity="0.01")

    assert trader_api.get("/api/orders").json()["count"] == 2
    open_orders = trader_api.get("/api/orders?status=open").json()
    assert [o["id"] for o in open_orders["results"]] == [limit["id"]]
    assert trader_api.get("/api/orders?coin=ethereum").json()["count"] == 0
    assert trader_api.get("/api/orders?status=weird").status_code == 400
    assert trader_api.get(f"/api/orders/{limit['id']}").json()["limit_price"] == "40000.00000000"

    cancelled = trader_api.post(f"/api/orders/{limit['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = trader_api.post(f"/api/orders/{limit['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "not_cancellable"


def test_another_users_objects_answer_404(trader_api, other_trader):
    order = buy(trader_api, type="limit", limit_price="40000").json()
    intruder = api_for(other_trader)

    assert intruder.get(f"/api/orders/{order['id']}").status_code == 404
    assert intruder.post(f"/api/orders/{order['id']}/cancel").status_code == 404
    assert intruder.get("/api/orders").json()["count"] == 0
    assert intruder.get("/api/transactions").json()["count"] == 1  # only their own deposit
    assert [b["asset"] for b in intruder.get("/api/balances").json()] == ["USD"]
    assert intruder.get("/api/portfolio").json()["holdings"] == []
    assert trader_api.get(f"/api/orders/{order['id']}").json()["status"] == "open"


def test_portfolio_shape_and_values(trader_api):
    buy(trader_api)

    body = trader_api.get("/api/portfolio").json()

    assert body["cash_usd"] == "4995.00000000"
    assert body["total_value_usd"] == "9995.00000000"
    assert body["realized_pnl"] == "0.00000000"
    assert body["unrealized_pnl"] == "-5.00000000"  # the fee
    (holding,) = body["holdings"]
    assert set(holding) == {
        "coin",
        "quantity",
        "average_cost",
        "price",
        "value",
        "unrealized_pnl",
        "unrealized_pnl_pct",
        "allocation_pct",
    }
    assert holding["average_cost"] == "50050.00000000"


def test_transactions_are_paginated_filtered_and_exported(trader_api):
    buy(trader_api)

    page = trader_api.get("/api/transactions").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 4  # deposit, trade, fee, coin trade
    assert set(page["results"][0]) == {
        "id",
        "kind",
        "asset",
        "amount",
        "balance_after",
        "order",
        "at",
    }
    assert trader_api.get("/api/transactions?kind=fee").json()["count"] == 1
    assert trader_api.get("/api/transactions?asset=bitcoin").json()["count"] == 1
    assert trader_api.get("/api/transactions?since=2999-01-01").json()["count"] == 0
    assert trader_api.get("/api/transactions?since=2999-01-01T00:00").json()["count"] == 0
    assert trader_api.get("/api/transactions?until=2000-01-01T00:00:00Z").json()["count"] == 0
    assert trader_api.get("/api/transactions?since=yesterday").status_code == 400
    assert trader_api.get("/api/transactions?since=2026-02-30").json()["errors"] == {
        "since": ["Use an ISO-8601 date or date-time between years 1 and 9999 (UTC)."]
    }
    assert trader_api.get("/api/transactions?kind=gift").status_code == 400

    export = trader_api.get("/api/transactions/export.csv?kind=fee")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0] == ["id", "at", "kind", "asset", "amount", "balance_after", "order"]
    assert [row[2:5] for row in rows[1:]] == [["fee", "USD", "-5.00000000"]]


def test_placing_orders_is_limited_to_20_a_minute_per_user(trader_api, other_trader):
    statuses = [buy(trader_api, quantity="0.0001").status_code for _ in range(21)]

    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429
    assert buy(api_for(other_trader), quantity="0.0001").status_code == 201
    assert Decimal(trader_api.get("/api/balances").json()[1]["available"]) == Decimal("0.002")


# --- numbers the ledger cannot hold (issue 11 item 2, security L5) ------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"side": "sell", "quantity": "10000000000000000"}, "quantity", "too_large"),
        (
            {"type": "limit", "quantity": "1000000", "limit_price": "100000000000000"},
            "quantity",
            "too_large",
        ),
        (
            {"type": "stop", "quantity": "1000000", "stop_price": "100000000000000"},
            "quantity",
            "too_large",
        ),
        (
            {"side": "sell", "type": "stop", "quantity": "1e6", "stop_price": "1e14"},
            "quantity",
            "too_large",
        ),
        ({"quantity": "99999999999999999999.99999999"}, "quantity", "too_large"),
        (
            {"coin": "dogecoin", "quantity": None, "quote_amount": "1e13"},
            "quote_amount",
            "too_large",
        ),
        # more digits than a column has: refused by the API's own checks
        ({"quantity": "100000000000000000000"}, "quantity", "invalid"),
        ({"quantity": "1e30"}, "quantity", "invalid"),
        ({"quantity": None, "quote_amount": "1e20"}, "quote_amount", "invalid"),
        ({"type": "limit", "limit_price": "NaN"}, "limit_price", "invalid"),
    ],
)
def test_an_order_too_large_to_store_is_a_400_naming_the_field(trader_api, body, field, code):
    # given a trader, fresh prices, and a coin at the smallest price a tick stores
    PriceTickFactory.create(coin_id="dogecoin", price=Decimal("0.00000001"))
    entries = LedgerEntry.objects.count()

    # when they place an order whose value (quantity x price) or amount cannot be stored
    response = buy(trader_api, **body)

    # then it is a 400 naming the field, nothing is written, and the ledger adds up
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == code
    assert field in payload["errors"]
    assert not Order.objects.exists()
    assert LedgerEntry.objects.count() == entries
    call_command("check_ledger")


# --- client_order_id (issue 11 item 11b, SPEC §4 and §7) ----------------------------


def test_a_client_order_id_retried_with_equal_numbers_is_200_and_with_another_body_409(trader_api):
    # given a limit order placed with a client_order_id
    body = {"type": "limit", "quantity": "0.1", "limit_price": "40000", "client_order_id": "c-9"}
    first = buy(trader_api, **body)
    assert first.status_code == 201
    entries = LedgerEntry.objects.count()

    # when it is retried with the same numbers written differently, then with another body
    retry = buy(trader_api, **{**body, "quantity": "0.10000000", "limit_price": "40000.0"})
    conflict = buy(trader_api, **{**body, "quantity": "0.2"})

    # then the retry answers 200 with the first order, the other body 409, and nothing
    # more is written
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"
    assert "client_order_id" in conflict.json()["errors"]
    assert Order.objects.count() == 1
    assert LedgerEntry.objects.count() == entries


# --- dates from outside (issue 11 item 5) -------------------------------------------

ODD_DATES = [
    ("until", "0001-01-01T00:00:00+14:00"),  # before the first moment Python holds in UTC
    ("since", "9999-12-31T23:59:59-01:00"),  # after the last
    ("since", "0000-01-01"),
    ("until", "10000-01-01"),
    ("since", "2026-01-01T00:00:00+24:00"),
    ("since", "2026-02-30T00:00:00Z"),
]


@pytest.mark.parametrize("path", ["/api/transactions", "/api/transactions/export.csv"])
@pytest.mark.parametrize(("field", "value"), ODD_DATES)
@pytest.mark.timeout(10)
def test_a_date_outside_what_python_and_the_database_hold_is_a_400_naming_the_field(
    trader_api, path, field, value
):
    # when the transactions or their export are filtered by an odd date
    response = trader_api.get(path, {field: value})

    # then it is a 400 naming the field, at once
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("path", ["/api/transactions", "/api/transactions/export.csv"])
def test_the_first_and_last_moments_python_holds_are_accepted(trader_api, path):
    # when the filter spans everything Python and the database can hold
    response = trader_api.get(
        path, {"since": "0001-01-01T00:00:00-05:00", "until": "9999-12-31T23:59:59+00:00"}
    )

    # then every entry is in it
    assert response.status_code == 200
    if path.endswith(".csv"):
        assert b"".join(response.streaming_content).decode().count("deposit") == 1
    else:
        assert response.json()["count"] == 1


def asgi_get(path: str, query: bytes, token: str) -> list[dict]:
    """Every message Django's ASGI handler sends for a GET, as daphne or uvicorn sees it.

    The handler serves each request in a thread of its own, with its own database
    connection: the test's data must be committed (``transaction=True``)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def exchange() -> list[dict]:
        communicator = ApplicationCommunicator(ASGIHandler(), scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        messages = [await communicator.receive_output(timeout=5)]
        while messages[-1]["type"] != "http.response.body" or messages[-1].get("more_body"):
            messages.append(await communicator.receive_output(timeout=5))
        await communicator.wait()
        return messages

    return async_to_sync(exchange)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(10)
def test_the_csv_export_answers_an_odd_date_before_it_starts_streaming(trader):
    # given the export served by Django's ASGI handler
    token = str(tokens_for(trader)["access"])

    # when it is asked for entries since a moment after the last one Python holds in UTC
    messages = asgi_get(
        "/api/transactions/export.csv", b"since=9999-12-31T23%3A59%3A59-01%3A00", token
    )

    # then the first thing sent is a 400, not a 200 followed by an error mid-stream (which
    # the server could no longer answer: under daphne the client waited forever)
    assert messages[0]["type"] == "http.response.start"
    assert messages[0]["status"] == 400
    assert b'"since"' in b"".join(message.get("body", b"") for message in messages[1:])


# --- the order limit: 20 a minute per user (SPEC §4) --------------------------------


@pytest.fixture
def clock(trader, monkeypatch):
    """django-ratelimit's clock, 15 seconds before the end of the trader's order window.

    django-ratelimit ends each key's window at crc32(key) % period seconds past a whole
    period (1_800_000_000 is a whole minute)."""
    jitter = zlib.crc32(f"user:{trader.pk}".encode()) % 60
    clock = SimpleNamespace(now=1_800_000_000 + jitter - 15)
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


def test_a_429_carries_the_seconds_left_in_the_window(trader_api, clock):
    # given the trader's 20 orders of this minute, 15 seconds before its window ends
    assert [buy(trader_api, quantity="0.0001").status_code for _ in range(20)] == [201] * 20

    # when they place one more, then again 5 seconds later
    refused = buy(trader_api, quantity="0.0001")
    clock.now += 5
    later = buy(trader_api, quantity="0.0001")

    # then both are 429s saying how long is left (the window's last second included),
    # and the next window takes orders again
    assert (refused.status_code, refused["Retry-After"]) == (429, "16")
    assert refused.json()["code"] == "rate_limited"
    assert (later.status_code, later["Retry-After"]) == (429, "11")
    clock.now += 11
    assert buy(trader_api, quantity="0.0001").status_code == 201


def test_a_client_that_waits_retry_after_seconds_gets_through(trader_api, clock):
    # given a refused order
    for _ in range(20):
        buy(trader_api, quantity="0.0001")
    refused = buy(trader_api, quantity="0.0001")

    # when the client waits exactly as long as it was told
    clock.now += int(refused["Retry-After"])

    # then its next order is taken
    assert buy(trader_api, quantity="0.0001").status_code == 201
