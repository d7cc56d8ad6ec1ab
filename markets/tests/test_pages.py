"""The markets pages render server-side with every coin, labelled by source."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_markets_page_lists_every_tracked_coin_with_the_simulated_label(client):
    response = client.get("/markets/")

    assert response.status_code == 200
    html = response.content.decode()
    for coin_id in ("bitcoin", "ethereum", "tron"):
        assert f'data-coin="{coin_id}"' in html
        assert f'href="/markets/{coin_id}/"' in html
    assert "Simulated prices." in html
    assert html.count('class="badge badge-sim"') == 10
    assert "<polyline points=" in html  # the 7-day sparkline
    assert "js/markets.js" in html


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
