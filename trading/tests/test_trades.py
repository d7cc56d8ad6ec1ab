"""Trades, orders and transactions as a trader reads them (issue 14): the Ghostfolio
export, the trades page, cancelled orders keeping what they asked, assets by symbol."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import api_for
from markets.models import Coin
from markets.tests.factories import PriceTickFactory
from trading.assets import asset_resolve
from trading.models import LedgerEntry, LedgerKind, Order
from trading.services import order_cancel, order_place
from trading.services.matching import on_tick
from trading.trades import trade_from, trades_for

GHOSTFOLIO_HEADER = [
    "Date",
    "Code",
    "DataSource",
    "Currency",
    "Price",
    "Quantity",
    "Action",
    "Fee",
    "Note",
]
BUY_AT = datetime(2026, 3, 1, 14, 5, 9, tzinfo=UTC)
SELL_AT = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def filled_at(order: Order, moment: datetime) -> Order:
    """Pin a fill's moment, so that dates in files and filters are exact."""
    Order.objects.filter(pk=order.pk).update(filled_at=moment)
    order.refresh_from_db()
    return order


@pytest.fixture
def round_trip(trader, prices) -> tuple[Order, Order]:
    """A market buy of 0.1 BTC at 50,000 (fee 5) and a sell of 0.04 BTC at 60,000 (fee 2.4)."""
    buy = order_place(
        user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.1")
    ).order
    PriceTickFactory.create(coin_id="bitcoin", price=D("60000"))
    sell = order_place(
        user=trader, coin_id="bitcoin", side="sell", type="market", quantity=D("0.04")
    ).order
    return filled_at(buy, BUY_AT), filled_at(sell, SELL_AT)


# --- GET /api/trades/export.csv (SPEC §4, §7) ---------------------------------------


def test_the_ghostfolio_export_has_its_columns_and_exact_values_for_a_buy_and_a_sell(
    trader, round_trip
):
    buy, sell = round_trip

    # when the trader downloads the trades export
    response = api_for(trader).get("/api/trades/export.csv")

    # then it is a CSV file with Ghostfolio's columns, one line per fill, oldest first
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="cryptovault-trades.csv"'
    assert csv_of(response) == [
        GHOSTFOLIO_HEADER,
        [
            "2026-03-01T14:05:09Z",
            "bitcoin",
            "COINGECKO",
            "USD",
            "50000.00000000",
            "0.10000000",
            "buy",
            "5.00000000",
            f"CryptoVault order #{buy.pk} (market)",
        ],
        [
            "2026-03-02T09:30:00Z",
            "bitcoin",
            "COINGECKO",
            "USD",
            "60000.00000000",
            "0.04000000",
            "sell",
            "2.40000000",
            f"CryptoVault order #{sell.pk} (market)",
        ],
    ]


def test_the_export_has_no_open_or_cancelled_order_and_a_tiny_price_keeps_its_digits(
    trader, prices
):
    # given a limit buy that filled at its price, one left open, one cancelled
    PriceTickFactory.create(coin_id="dogecoin", price=D("0.00001206"))
    limit = order_place(
        user=trader,
        coin_id="dogecoin",
        side="buy",
        type="limit",
        quantity=D("100000"),
        limit_price=D("0.000012"),
    ).order
    on_tick(prices={"dogecoin": D("0.0000119")}, at=datetime.now(UTC))
    order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.01"),
        limit_price=D("1000"),
    )
    cancelled = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.01"),
        limit_price=D("2000"),
    ).order
    order_cancel(user=trader, order_id=cancelled.pk)

    # when the trades are exported
    rows = csv_of(api_for(trader).get("/api/trades/export.csv"))

    # then only the fill is in it, at its limit price in plain notation
    assert len(rows) == 2
    date, code, source, currency, price, quantity, action, fee, note = rows[1]
    assert (code, source, currency, action) == ("dogecoin", "COINGECKO", "USD", "buy")
    assert (price, quantity, fee) == ("0.00001200", "100000.00000000", "0.00120000")
    assert note == f"CryptoVault order #{limit.pk} (limit)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", date)


def test_the_export_takes_since_and_until_as_the_transactions_do(trader, round_trip):
    api = api_for(trader)

    def actions(**query: str) -> list[str]:
        response = api.get("/api/trades/export.csv", query)
        assert response.status_code == 200
        return [row[6] for row in csv_of(response)[1:]]

    assert actions() == ["buy", "sell"]
    assert actions(since="2026-03-02") == ["sell"]
    assert actions(until="2026-03-02") == ["buy"]
    assert actions(since="2026-03-01T14:05:10Z") == ["sell"]
    assert actions(since="2026-03-03") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("since", "yesterday"), ("until", "2026-02-30"), ("since", "9999-12-31T23:59:59-01:00")],
)
def test_a_bad_date_on_the_export_is_a_400_naming_the_field(trader, field, value):
    response = api_for(trader).get("/api/trades/export.csv", {field: value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_export_is_the_owners_only_and_needs_a_login(trader, other_trader, round_trip):
    assert csv_of(api_for(other_trader).get("/api/trades/export.csv")) == [GHOSTFOLIO_HEADER]
    assert APIClient().get("/api/trades/export.csv").status_code in (401, 403)


def test_a_trades_total_is_what_the_ledger_moved_in_dollars(trader, round_trip):
    # then for each fill, the USD entries of its order add up to the total, fee included
    for order in round_trip:
        trade = trade_from(order)
        usd = sum(
            entry.amount
            for entry in LedgerEntry.objects.filter(
                order=order, asset="USD", kind__in=[LedgerKind.TRADE, LedgerKind.FEE]
            )
        )
        assert usd == (-trade.total if order.side == "buy" else trade.total)
    buy, sell = (trade_from(order) for order in round_trip)
    assert (buy.notional, buy.fee, buy.total) == (D("5000"), D("5"), D("5005"))
    assert (sell.notional, sell.fee, sell.total) == (D("2400"), D("2.4"), D("2397.6"))


# --- the trades page ----------------------------------------------------------------


def test_the_trades_page_lists_each_fill_with_price_fee_and_total(page_client, round_trip):
    response = page_client.get("/trade/trades/")

    assert response.status_code == 200
    html = response.content.decode()
    assert [trade.side for trade in response.context["trades"]] == ["sell", "buy"]
    assert "Bitcoin" in html and "BTC" in html and ">bitcoin<" not in html
    for text in ("0.1 BTC", "$50,000.00", "$5.00", "$5,005.00", "paid"):
        assert text in html
    for text in ("0.04 BTC", "$60,000.00", "$2.40", "$2,397.60", "received"):
        assert text in html
    assert 'href="/api/trades/export.csv"' in html
    assert f'href="/trade/orders/{round_trip[0].pk}/"' in html


def test_the_trades_page_filters_by_days_and_the_export_follows(page_client, round_trip):
    response = page_client.get("/trade/trades/", {"since": "2026-03-02"})

    assert [trade.side for trade in response.context["trades"]] == ["sell"]
    assert response.context["export_url"] == "/api/trades/export.csv?since=2026-03-02"
    bad = page_client.get("/trade/trades/", {"since": "2026-02-30"})
    assert bad.status_code == 200
    assert list(bad.context["form"].errors) == ["since"]


# --- cancelled orders keep what they asked for ---------------------------------------


def test_a_cancelled_order_keeps_its_quantity_and_prices_in_the_api(trader_api):
    limit = trader_api.post(
        "/api/orders",
        {
            "coin": "bitcoin",
            "side": "buy",
            "type": "limit",
            "quantity": "0.01",
            "limit_price": "40000",
        },
    ).json()

    cancelled = trader_api.post(f"/api/orders/{limit['id']}/cancel").json()

    assert cancelled["status"] == "cancelled"
    assert cancelled["quantity"] == "0.01000000"
    assert cancelled["limit_price"] == "40000.00000000"
    assert cancelled["filled_quantity"] == "0.00000000"  # SPEC §7: nothing filled
    assert cancelled["average_price"] is None
    assert trader_api.get(f"/api/orders/{limit['id']}").json() == cancelled


def test_the_orders_page_shows_what_a_cancelled_or_rejected_order_asked(page_client, trader):
    # given a cancelled limit buy and a stop that could not be paid when it triggered
    limit = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.012"),
        limit_price=D("40000"),
    ).order
    order_cancel(user=trader, order_id=limit.pk)
    stop = order_place(
        user=trader,
        coin_id="ethereum",
        side="buy",
        type="stop",
        quantity=D("4.5"),
        stop_price=D("2100"),
    ).order
    on_tick(prices={"ethereum": D("2300")}, at=datetime.now(UTC))  # would cost 10,360.35
    stop.refresh_from_db()
    assert stop.status == "rejected"

    # when the orders page is read
    html = page_client.get("/trade/orders/").content.decode()

    # then each closed order shows its asked quantity and price, never 0 and "—"
    rows = dict(re.findall(r'<tr data-order="(\d+)" data-status="\w+">(.*?)</tr>', html, re.S))
    cancelled_row, rejected_row = rows[str(limit.pk)], rows[str(stop.pk)]
    assert "0.012 BTC" in cancelled_row and "$40,000.00" in cancelled_row
    assert "Cancelled" in cancelled_row
    assert "4.5 ETH" in rejected_row and "$2,100.00" in rejected_row
    assert "Rejected" in rejected_row and "Not enough USD" in rejected_row
    assert ">0 BTC<" not in cancelled_row


# --- the asset filter takes symbols ---------------------------------------------------


@pytest.mark.parametrize("name", ["bitcoin", "BTC", "btc", " Btc ", "Bitcoin"])
def test_an_asset_is_a_coin_id_a_symbol_or_a_name_in_any_case(db, name):
    assert asset_resolve(name=name) == "bitcoin"


def test_usd_and_unknown_assets(db):
    assert asset_resolve(name="usd") == "USD"
    assert asset_resolve(name="USD") == "USD"
    assert asset_resolve(name="XYZ") is None
    assert asset_resolve(name="") is None


def test_a_symbol_shared_by_an_untracked_coin_means_the_tracked_one(db):
    Coin.objects.create(id="bitcoin-imitation", symbol="btc", name="Imitation", is_tracked=False)

    assert asset_resolve(name="BTC") == "bitcoin"


@pytest.mark.parametrize("asset", ["bitcoin", "BTC", "btc"])
def test_the_transactions_api_filters_by_symbol(trader_api, asset):
    trader_api.post(
        "/api/orders", {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.1"}
    )

    page = trader_api.get("/api/transactions", {"asset": asset}).json()

    assert [(row["asset"], row["kind"]) for row in page["results"]] == [("bitcoin", "trade")]
    assert trader_api.get("/api/transactions", {"asset": "usd"}).json()["count"] == 3
    export = trader_api.get("/api/transactions/export.csv", {"asset": asset})
    assert [row[3] for row in csv_of(export)[1:]] == ["bitcoin"]


@pytest.mark.parametrize("path", ["/api/transactions", "/api/transactions/export.csv"])
def test_an_unknown_asset_is_a_400_naming_asset(trader_api, path):
    response = trader_api.get(path, {"asset": "XYZ"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["asset"]


def test_the_transactions_page_filters_by_symbol_and_names_an_unknown_one(page_client):
    page_client.post(
        "/trade/", {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.1"}
    )

    by_symbol = page_client.get("/trade/transactions/", {"asset": "BTC"})
    unknown = page_client.get("/trade/transactions/", {"asset": "XYZ", "kind": "fee"})

    assert [entry.asset for entry in by_symbol.context["page"]] == ["bitcoin"]
    assert "asset=bitcoin" in by_symbol.context["export_url"]
    assert list(unknown.context["form"].errors) == ["asset"]
    assert "No asset called XYZ" in unknown.content.decode()
    assert [entry.kind for entry in unknown.context["page"]] == ["fee"]


# --- the transactions page reads as a person expects ----------------------------------


def test_the_transactions_page_shows_dollars_quantities_kinds_and_orders(page_client, trader):
    order = order_place(
        user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.1")
    ).order

    html = page_client.get("/trade/transactions/").content.decode()

    assert "+$10,000.00" in html  # the deposit, to the cent
    assert "-$5,000.00" in html and "-$5.00" in html  # trade and fee
    assert "+0.1 BTC" in html  # the coins bought
    assert "$4,995.00" in html  # the USD balance after
    assert "Deposit" in html and "Fee" in html and "Trade" in html
    assert f'href="/trade/orders/{order.pk}/"' in html
    assert "Bitcoin" in html
    assert "4995.00000000" not in html and "10000.00000000" not in html
    assert 'href="/api/trades/export.csv"' in html
    assert re.search(r'<time datetime="[^"]+" data-local>', html)


# --- the orders page and an order's own page ------------------------------------------


def test_the_orders_page_shows_open_orders_with_name_reserve_and_cancel(page_client, trader):
    order = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.01"),
        limit_price=D("40000"),
    ).order

    html = page_client.get("/trade/orders/").content.decode()

    assert "Bitcoin" in html and "0.01 BTC" in html and "$40,000.00" in html
    assert "$400.40" in html  # reserved: 400 + the 0.40 fee
    assert f'action="/trade/orders/{order.pk}/cancel/"' in html
    assert re.search(r'<time datetime="[^"]+" data-local>', html)


def test_an_orders_page_shows_what_it_asked_filled_and_wrote(page_client, trader):
    order = order_place(
        user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.1")
    ).order

    response = page_client.get(f"/trade/orders/{order.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Order #" in html and "$5,005.00" in html and "$50,000.00" in html
    assert [entry.kind for entry in response.context["entries"]] == ["trade", "fee", "trade"]


def test_an_order_cancelled_from_its_page_comes_back_to_it(page_client, trader):
    order = order_place(
        user=trader,
        coin_id="bitcoin",
        side="buy",
        type="limit",
        quantity=D("0.01"),
        limit_price=D("40000"),
    ).order
    url = f"/trade/orders/{order.pk}/"
    assert "Cancel order" in page_client.get(url).content.decode()

    response = page_client.post(f"{url}cancel/", {"next": url})

    assert response.status_code == 302 and response["Location"] == url
    html = page_client.get(url).content.decode()
    assert "0.01 BTC" in html and "$40,000.00" in html and "Cancel order" not in html


def test_another_users_order_page_is_a_404(client, other_trader, trader, prices):
    order = order_place(
        user=trader, coin_id="bitcoin", side="buy", type="market", quantity=D("0.1")
    ).order
    client.force_login(other_trader)

    assert client.get(f"/trade/orders/{order.pk}/").status_code == 404
    assert client.get("/trade/orders/999999/").status_code == 404


def test_trades_for_reads_only_fills(trader, round_trip):
    assert list(trades_for(user=trader)) == list(reversed(round_trip))
    assert list(trades_for(user=trader, oldest_first=True)) == list(round_trip)


def test_the_portfolio_and_transactions_pages_offer_the_ghostfolio_export(page_client):
    for path in ("/portfolio/", "/trade/transactions/"):
        html = page_client.get(path).content.decode()
        assert 'href="/api/trades/export.csv"' in html, path
