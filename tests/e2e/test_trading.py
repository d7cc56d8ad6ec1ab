"""Browser: verify → buy at market → holding and P&L → limit order → cancel → CSV."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_up_and_verify
from tests.servers import asgi_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A real ASGI server: /ws/orders and /ws/prices work, the feed runs simulated.
    with asgi_server(tmp_path_factory.mktemp("trading"), REDIS_URL=None) as live:
        yield live


def test_trade_journey(server, watched_page):
    page, base = watched_page, server.url

    sign_up_and_verify(
        page,
        base,
        email="ada.trader@example.com",
        name="Ada Trader",
        password="correct horse battery",
    )

    # Buy at market from the coin page: the estimate follows the live price.
    page.goto(f"{base}/markets/bitcoin/")
    ticket = page.locator("[data-ticket]")
    ticket.get_by_label("Quantity (coins)").fill("0.01")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated cost")
    screenshot(page, "trading-1-ticket")
    ticket.get_by_role("button", name="Review order").click()  # the ticket's review
    ticket.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/markets/bitcoin/")
    expect(page.get_by_text(re.compile(r"Buy 0\.01 BTC filled at \$"))).to_be_visible()

    # The holding and its P&L
    page.goto(f"{base}/portfolio/")
    holding = page.locator('[data-holdings] tr[data-coin="bitcoin"]')
    expect(holding).to_contain_text("0.01")
    expect(page.locator('[data-stat="unrealized"]')).to_contain_text("$")
    chart = page.locator("[data-value-chart]")
    expect(chart).to_have_attribute("data-points", "120")
    expect(chart.locator("canvas").first).to_be_visible()
    screenshot(page, "trading-2-portfolio")

    # A limit order far below the price stays open; cancel it.
    page.goto(f"{base}/trade/?coin=bitcoin")
    page.get_by_label("Order type").select_option("limit")
    page.get_by_label("Quantity (coins)").fill("0.01")
    page.get_by_label("Limit price (USD)").fill("1000")
    page.get_by_role("button", name="Review order").click()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/trade/orders/")
    open_row = page.locator("[data-open-orders] tr[data-order]").first
    expect(open_row).to_contain_text("Open")
    screenshot(page, "trading-3-open-order")
    open_row.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(re.compile(r"cancelled; its hold is released"))).to_be_visible()
    expect(page.locator("[data-open-orders] tr[data-empty]")).to_be_visible()

    # Transactions and the CSV
    page.goto(f"{base}/trade/transactions/")
    expect(page.get_by_role("cell", name="Deposit")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    csv_text = download_info.value.path().read_text(encoding="utf-8")
    assert csv_text.splitlines()[0] == "id,at,kind,asset,amount,balance_after,order"
    assert ",deposit,USD,10000.00000000," in csv_text
    assert ",fee,USD," in csv_text
    screenshot(page, "trading-4-transactions")

    assert page.collect_csp() == []
    assert page.problems.all() == []
