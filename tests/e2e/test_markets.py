"""Browser: the markets table follows the live feed; the coin chart renders and switches."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.servers import asgi_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with asgi_server(tmp_path_factory.mktemp("markets"), REDIS_URL=None) as live:
        yield live


def test_markets_table_changes_a_price_when_a_tick_is_pushed(server, watched_page):
    page = watched_page
    page.goto(f"{server.url}/markets/")

    expect(page.locator("[data-live-status]")).to_have_text("Live", timeout=15_000)
    cell = page.locator('tr[data-coin="bitcoin"] [data-field="price"]')
    first = cell.inner_text()
    expect(cell).not_to_have_text(first, timeout=15_000)
    # The page's one notice says the prices are simulated (issue 14), not each row.
    expect(page.locator('[data-source-notice="simulated"]')).to_be_visible()
    expect(page.locator('tr[data-coin="bitcoin"] [data-source-badge]')).to_be_hidden()
    screenshot(page, "markets-live-table")

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_coin_chart_renders_and_switches_range_and_type(server, watched_page):
    page = watched_page
    page.goto(f"{server.url}/markets/ethereum/")

    chart = page.locator("[data-chart]")
    expect(chart).to_have_attribute("data-days", "7", timeout=15_000)
    expect(chart.locator("canvas").first).to_be_visible()
    assert int(chart.get_attribute("data-points")) > 100

    page.get_by_role("button", name="30D").click()
    expect(chart).to_have_attribute("data-days", "30")
    page.get_by_role("button", name="Candles").click()
    expect(chart).to_have_attribute("data-kind", "candles")
    assert int(chart.get_attribute("data-points")) > 10
    expect(page.get_by_role("button", name="30D")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-live-status]")).to_have_text("Live", timeout=15_000)
    screenshot(page, "coin-chart-candles-30d")

    assert page.collect_csp() == []
    assert page.problems.all() == []
