"""The markets pages render server-side: every coin, one notice for the page's source,
prices by the display rules, sortable headers and watchlist stars."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cryptovault.display import percent_text, price_text_usd, usd_whole_text
from markets.board import prices_board
from markets.history import coin_detail
from markets.models import WatchlistEntry
from markets.tests.conftest import markets_payload
from markets.tests.factories import PriceTickFactory

pytestmark = pytest.mark.django_db


def test_markets_page_lists_every_tracked_coin_under_one_simulated_notice(client):
    response = client.get("/markets/")

    assert response.status_code == 200
    html = response.content.decode()
    for coin_id in ("bitcoin", "ethereum", "tron"):
        assert f'data-coin="{coin_id}"' in html
        assert f'href="/markets/{coin_id}/"' in html
    # One notice for the page (issue 14), not a "simulated" badge on every row.
    assert html.count("Simulated prices.") == 1
    assert 'data-source-notice="simulated">' in html  # shown, not hidden
    assert 'class="badge badge-sim"' not in html
    assert html.count('<span class="badge" data-source-badge hidden></span>') == 10
    assert "<polyline points=" in html  # the 7-day sparkline
    assert "js/markets.js" in html


def test_a_row_from_another_source_than_the_page_says_so_on_its_row(client, coingecko):
    # Given: CoinGecko prices every coin but tron, whose last price is stale
    PriceTickFactory.create(coin_id="tron", price=Decimal("0.25"), at=timezone.now())
    payload = [row for row in markets_payload() if row["id"] != "tron"]
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(payload)

    html = client.get("/markets/").content.decode()

    # Then: no page notice; tron's row alone carries a stale badge
    assert 'data-source-notice="simulated" hidden' in html
    assert 'data-source-notice="stale" hidden' in html
    tron = html.split('data-coin="tron"')[1].split("</tr>")[0]
    assert 'class="badge badge-warn"' in tron and "stale" in tron
    assert html.count('class="badge badge-warn"') == 1


def test_a_stale_page_says_so_once_with_when_its_prices_were_quoted(client, coingecko):
    # Given: CoinGecko's last good prices stored, and CoinGecko failing now
    quoted = timezone.now() - timedelta(minutes=5)
    for coin_id in ("bitcoin", "ethereum"):
        PriceTickFactory.create(coin_id=coin_id, at=quoted)
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=400)

    html = client.get("/markets/").content.decode()

    # Then: one stale notice naming the oldest quote, no badge on the rows
    assert 'data-source-notice="stale">' in html
    assert f'quoted since <time datetime="{quoted.isoformat()}" data-local>' in html
    assert 'class="badge badge-warn"' not in html
    assert html.count("data-source-badge hidden") == 2


def test_markets_page_writes_prices_changes_and_caps_by_the_display_rules(client):
    PriceTickFactory.create(coin_id="dogecoin", price=Decimal("0.180312"), at=timezone.now())
    board = prices_board()
    doge = next(row for row in board["coins"] if row["id"] == "dogecoin")

    html = client.get("/markets/").content.decode()
    row = html.split('data-coin="dogecoin"')[1].split("</tr>")[0]

    assert f"<span data-price-text>{price_text_usd(doge['price_usd'])}</span>" in row
    assert re.search(r"<span data-price-text>\$0\.\d{4}</span>", row)
    assert f">{percent_text(doge['change_24h_pct'])}</td>" in row
    assert f">{usd_whole_text(doge['market_cap'])}</td>" in row
    assert re.search(r">[+-]\d+\.\d\d%</td>", row)
    assert "Dogecoin" in row and "DOGE" in row


def test_every_sortable_column_is_a_button_in_a_header_with_aria_sort(client):
    html = client.get("/markets/").content.decode()

    for key in ("rank", "name", "price", "change", "market_cap", "volume"):
        assert re.search(
            rf'<th scope="col"[^>]* aria-sort="(none|ascending)" data-sort-col="{key}">'
            rf'<button type="button" class="sort" data-sort="{key}">',
            html,
        ), key
    assert '<label for="coin-search">Search coins</label>' in html
    assert 'id="coin-search" type="search"' in html


def test_a_signed_in_reader_sees_their_stars_pressed(client, user):
    WatchlistEntry.objects.create(user=user, coin_id="solana")
    client.force_login(user)

    html = client.get("/markets/").content.decode()

    assert html.count('aria-pressed="true" aria-label="Watch') == 1
    assert 'data-star="solana" data-name="Solana" aria-pressed="true"' in html
    assert 'data-star="bitcoin" data-name="Bitcoin" aria-pressed="false"' in html
    assert "data-watch-count>1<" in html
    assert "data-login-prompt" not in html
    coin_page = client.get("/markets/solana/").content.decode()
    assert 'data-star="solana" data-name="Solana" aria-pressed="true"' in coin_page


def test_a_visitor_star_asks_to_log_in(client):
    html = client.get("/markets/").content.decode()

    assert 'data-star="bitcoin" data-name="Bitcoin" data-login' in html
    assert "aria-pressed" not in html.split("<tbody>")[1].split("</tbody>")[0]
    assert "data-login-prompt hidden" in html
    assert 'href="/accounts/login/?next=/markets/"' in html


def test_coin_page_shows_its_numbers_by_the_display_rules(client):
    PriceTickFactory.create(coin_id="dogecoin", price=Decimal("0.180312"), at=timezone.now())
    detail = coin_detail(coin_id="dogecoin")

    html = client.get("/markets/dogecoin/").content.decode()

    assert "Dogecoin" in html and "DOGE" in html
    assert f'data-field="price">{price_text_usd(detail["price_usd"])}</span>' in html
    assert f'data-field="change">{percent_text(detail["change_24h_pct"])} (24h)</span>' in html
    assert f'data-field="market_cap">{usd_whole_text(detail["market_cap"])}</dd>' in html
    assert 'data-star="dogecoin" data-name="Dogecoin" data-login' in html


def test_coin_page_has_the_chart_ranges_and_the_trade_ticket(client):
    response = client.get("/markets/bitcoin/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-coin-page="bitcoin"' in html
    for days in (1, 7, 30, 90, 365):
        assert f'data-days="{days}"' in html
    assert "lightweight-charts.standalone.production.js" in html


def test_unknown_coin_page_is_the_friendly_404(client):
    response = client.get("/markets/not-a-coin/")

    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_admin_lists_coins_ticks_and_quota(admin_client):
    client = admin_client
    for path in (
        "/admin/markets/coin/",
        "/admin/markets/pricetick/",
        "/admin/markets/quotausage/",
    ):
        assert client.get(path).status_code == 200


def test_health_reports_the_price_source_and_quota(client):
    client.get("/api/crypto")

    check = client.get("/health").json()["checks"]["price_source"]

    assert check["status"] == "ok"
    assert check["source"] == "simulated"
    assert set(check["quota"]) == {
        "month",
        "credits_used",
        "credits_monthly",
        "credits_allowed_now",
    }
