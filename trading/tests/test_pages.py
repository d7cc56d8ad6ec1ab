"""Trading pages: ticket, orders with cancel, portfolio, transactions with filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.tests.factories import api_for
from markets.tests.factories import PriceTickFactory
from trading.models import LedgerEntry, Order

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    for path in ("/trade/", "/trade/orders/", "/portfolio/", "/trade/transactions/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_market_order_from_the_ticket_lands_on_orders_with_a_message(page_client):
    response = page_client.post(
        "/trade/",
        {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/trade/orders/"
    assert "filled at $50,000.00" in response.content.decode()
    assert Order.objects.get().status == "filled"


def test_ticket_errors_are_shown_next_to_the_field(page_client):
    response = page_client.post(
        "/trade/", {"coin": "bitcoin", "side": "buy", "type": "limit", "quantity": "0.01"}
    )

    assert response.status_code == 200
    assert "limit_price must be a positive number" in response.content.decode()
    response = page_client.post(
        "/trade/", {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "5"}
    )
    assert "Not enough USD" in response.content.decode()
    assert not Order.objects.exists()


def test_the_coin_page_ticket_returns_to_the_coin_page(page_client):
    assert 'name="coin" value="bitcoin"' in page_client.get("/markets/bitcoin/").content.decode()
    response = page_client.post(
        "/trade/",
        {
            "coin": "bitcoin",
            "side": "buy",
            "type": "market",
            "quantity": "0.01",
            "next": "/markets/bitcoin/",
        },
    )
    assert response["Location"] == "/markets/bitcoin/"
    evil = page_client.post(
        "/trade/",
        {
            "coin": "bitcoin",
            "side": "buy",
            "type": "market",
            "quantity": "0.01",
            "next": "https://evil.example/",
        },
    )
    assert evil["Location"] == "/trade/orders/"


@pytest.mark.parametrize("path", ["/trade/", "/markets/bitcoin/"])
def test_the_ticket_brings_its_own_sheet_and_script_to_every_page(page_client, path):
    # when a page with the ticket is opened
    html = page_client.get(path).content.decode()

    # then the ticket's sheet (which hides the fields of other order types) and its script
    # (which disables them) come with it, and the amount box is marked as for buys only
    assert html.count("css/ticket.css") == 1
    assert html.count("js/trade-ticket.js") == 1
    assert 'data-for-type="market" data-for-side="buy"' in html


def test_open_orders_can_be_cancelled_from_the_orders_page(page_client):
    page_client.post(
        "/trade/",
        {
            "coin": "bitcoin",
            "side": "buy",
            "type": "limit",
            "quantity": "0.01",
            "limit_price": "100",
        },
    )
    order = Order.objects.get()

    html = page_client.get("/trade/orders/").content.decode()
    assert f'action="/trade/orders/{order.pk}/cancel/"' in html
    response = page_client.post(f"/trade/orders/{order.pk}/cancel/", follow=True)

    assert "cancelled; its hold is released" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_portfolio_and_transactions_show_the_holding_and_the_ledger(page_client):
    page_client.post(
        "/trade/", {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"}
    )

    portfolio = page_client.get("/portfolio/").content.decode()
    assert 'data-coin="bitcoin"' in portfolio
    assert "$9,999.50" in portfolio  # 10000 - 0.5 fee
    transactions = page_client.get("/trade/transactions/?kind=fee").content.decode()
    assert "-$0.50" in transactions  # the fee to the cent, through the usd filter
    assert "/api/transactions/export.csv?kind=fee" in transactions


def test_admin_shows_orders_and_a_read_only_ledger(admin_client, trader, prices):
    for path in ("/admin/trading/order/", "/admin/trading/ledgerentry/", "/admin/trading/balance/"):
        assert admin_client.get(path).status_code == 200
    assert admin_client.get("/admin/trading/ledgerentry/add/").status_code == 403


def test_money_is_shown_with_the_sign_before_the_dollar():
    from cryptovault.display import usd_text as usd

    assert usd("-0.954") == "-$0.95"
    assert usd("1234.5") == "$1,234.50"
    assert usd(None) == "—"


def ticket(client, **fields):
    order = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.0001", **fields}
    return client.post("/trade/", {key: value for key, value in order.items() if value is not None})


# --- numbers the ledger cannot hold (issue 11 item 2) -------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"side": "sell", "quantity": "10000000000000000"}, "quantity", "more than an order"),
        (
            {"type": "limit", "quantity": "1000000", "limit_price": "100000000000000"},
            "quantity",
            "more than an order",
        ),
        (
            {"type": "stop", "quantity": "1000000", "stop_price": "100000000000000"},
            "quantity",
            "more than an order",
        ),
        (
            {"coin": "dogecoin", "quantity": None, "quote_amount": "10000000000000"},
            "quote_amount",
            "buys more than",
        ),
        ({"quantity": "100000000000000000000"}, "quantity", "no more than 20 digits before"),
    ],
)
def test_a_ticket_too_large_to_store_shows_the_error_next_to_the_field(
    page_client, fields, field, message
):
    # given a coin at the smallest price a tick stores
    PriceTickFactory.create(coin_id="dogecoin", price=Decimal("0.00000001"))
    entries = LedgerEntry.objects.count()

    # when the ticket asks for an order whose value cannot be stored
    response = ticket(page_client, **fields)

    # then the ticket comes back with the error on the field, and nothing is written
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert message in response.content.decode()
    assert not Order.objects.exists()
    assert LedgerEntry.objects.count() == entries
    call_command("check_ledger")


# --- the order limit is the page's too (SPEC §4: 20 a minute per user) --------------


def test_the_ticket_refuses_the_21st_order_in_a_minute_with_a_429(page_client):
    # when 25 orders are sent from the ticket within one minute
    responses = [ticket(page_client) for _ in range(25)]

    # then 20 are placed, and the rest come back as the ticket with status 429 saying why
    assert [r.status_code for r in responses] == [302] * 20 + [429] * 5
    refused = responses[20]
    assert 1 <= int(refused["Retry-After"]) <= 60
    html = refused.content.decode()
    assert "Too many orders in a minute" in html
    assert f"again in {refused['Retry-After']} second" in html
    assert Order.objects.count() == 20


def test_the_api_and_the_ticket_share_one_allowance(page_client, trader):
    # given 15 orders placed through the API this minute
    api = api_for(trader)
    body = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.0001"}
    assert [api.post("/api/orders", body, format="json").status_code for _ in range(15)] == [
        201
    ] * 15

    # when 6 more are sent from the ticket
    statuses = [ticket(page_client).status_code for _ in range(6)]

    # then the 6th is refused: 21 in the minute
    assert statuses == [302] * 5 + [429]
    assert Order.objects.count() == 20


# --- dates from outside (issue 11 item 5) -------------------------------------------


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+14:00", "10000-01-01", "0"]
)
def test_an_odd_date_on_the_transactions_page_is_a_form_error_and_the_rest_still_filters(
    page_client, value
):
    # given a fill (a deposit, two USD entries and a coin one)
    ticket(page_client)

    # when the transactions are filtered by fee and an odd date
    response = page_client.get("/trade/transactions/", {"kind": "fee", "since": value})

    # then the date is shown as an error, and the fee filter still applies
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["since"]
    assert [entry.kind for entry in response.context["page"]] == ["fee"]
    assert "kind=fee" in response.context["export_url"]


def test_the_first_and_last_days_are_accepted_on_the_transactions_page(page_client):
    response = page_client.get(
        "/trade/transactions/", {"since": "0001-01-01", "until": "9999-12-31"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {}
    assert len(response.context["page"]) == 1
