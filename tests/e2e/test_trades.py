"""Browser: orders, trades and transactions at a laptop's and a phone's width (issue 14).

Open orders keep Cancel on screen, a cancelled order shows what it asked for, the trades
page lists each fill with its price, fee and total and downloads Ghostfolio's CSV, the
transactions filter takes a symbol, and no page scrolls sideways or logs an error.
"""

from __future__ import annotations

import csv
import io
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_up_and_verify

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # pragma: allowlist secret
WIDTHS = [pytest.param(1366, id="desktop"), pytest.param(390, id="phone")]
GHOSTFOLIO_HEADER = "Date,Code,DataSource,Currency,Price,Quantity,Action,Fee,Note"


def api(page, base: str, path: str, body: dict | None = None) -> dict:
    """Call the API as the page's session does (with its CSRF token). A market order
    refused for a price older than two refresh periods (one second each here, on a
    loaded machine) is sent again once the feed has ticked."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    deadline = time.monotonic() + 60
    while True:
        response = page.request.post(
            f"{base}{path}", data=body or {}, headers={"X-CSRFToken": token, "Referer": base}
        )
        stale = not response.ok and "price_unavailable" in response.text()
        if not stale or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.ok, response.text()
    return response.json()


@pytest.fixture(scope="module")
def trader_state(site_server, browser) -> dict:
    """A verified trader with a buy, a sell and a cancelled limit order."""
    context = browser.new_context()
    page = context.new_page()
    base = site_server.url
    sign_up_and_verify(
        page, base, email="tess.trades@example.com", name="Tess Trades", password=PASSWORD
    )
    api(
        page,
        base,
        "/api/orders",
        {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"},
    )
    api(
        page,
        base,
        "/api/orders",
        {"coin": "bitcoin", "side": "sell", "type": "market", "quantity": "0.004"},
    )
    asked = api(
        page,
        base,
        "/api/orders",
        {
            "coin": "ethereum",
            "side": "buy",
            "type": "limit",
            "quantity": "0.25",
            "limit_price": "1000",
        },
    )
    api(page, base, f"/api/orders/{asked['id']}/cancel")
    state = context.storage_state()
    context.close()
    return {"storage": state, "cancelled": asked["id"]}


@pytest.fixture
def browser_context_args(browser_context_args, trader_state) -> dict:
    # A reader in Paris: moments show in their zone, not the server's UTC.
    return {
        **browser_context_args,
        "storage_state": trader_state["storage"],
        "timezone_id": "Europe/Paris",
    }


def fits(page) -> None:
    """No sideways scrolling: the page is no wider than the window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width}px wide"


@pytest.mark.parametrize("width", WIDTHS)
def test_orders_page_keeps_cancel_on_screen_and_what_a_cancelled_order_asked(
    site_server, watched_page, trader_state, width
):
    page, base = watched_page, site_server.url
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/markets/")
    opened = api(
        page,
        base,
        "/api/orders",
        {
            "coin": "bitcoin",
            "side": "buy",
            "type": "limit",
            "quantity": "0.002",
            "limit_price": "1000",
        },
    )

    page.goto(f"{base}/trade/orders/")
    row = page.locator(f'[data-open-orders] tr[data-order="{opened["id"]}"]')
    expect(row).to_contain_text("Bitcoin")
    expect(row).to_contain_text("0.002 BTC")
    expect(row).to_contain_text("$1,000.00")
    expect(row.locator("time[data-local]")).to_contain_text("CET")  # the reader's zone
    cancel = row.get_by_role("button", name="Cancel")
    box = cancel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    cancelled = page.locator(f'[data-order-history] tr[data-order="{trader_state["cancelled"]}"]')
    expect(cancelled).to_contain_text("0.25 ETH")
    expect(cancelled).to_contain_text("$1,000.00")
    expect(cancelled).to_contain_text("Cancelled")
    fits(page)
    screenshot(page, f"trades-orders-{width}")

    cancel.click()
    expect(page.get_by_text(f"Order #{opened['id']} cancelled")).to_be_visible()
    expect(page.locator(f'[data-open-orders] tr[data-order="{opened["id"]}"]')).to_have_count(0)

    # the order's own page: what it asked, and its ledger entries
    page.goto(f"{base}/trade/orders/{trader_state['cancelled']}/")
    expect(page.get_by_role("heading", name=f"Order #{trader_state['cancelled']}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("0.25 ETH")
    expect(page.locator("[data-order-entries] tr[data-kind]")).to_have_count(2)  # hold, release
    fits(page)
    screenshot(page, f"trades-order-{width}")

    assert page.collect_csp() == []
    assert page.problems.all() == []


@pytest.mark.parametrize("width", WIDTHS)
def test_trades_page_lists_fills_and_downloads_ghostfolios_csv(site_server, watched_page, width):
    page, base = watched_page, site_server.url
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"{base}/trade/trades/")
    rows = page.locator("[data-trades] tbody tr[data-order]")
    expect(rows).to_have_count(2)
    sell, buy = rows.nth(0), rows.nth(1)
    expect(sell).to_contain_text("Sell")
    expect(sell).to_contain_text("0.004 BTC")
    expect(sell).to_contain_text("received")
    expect(buy).to_contain_text("Bitcoin")
    expect(buy).to_contain_text("0.01 BTC")
    expect(buy.locator('[data-field="total"]')).to_contain_text("paid")
    for cell in (buy, sell):
        expect(cell).to_contain_text("$")
        assert "bitcoin" not in cell.inner_text()  # the name, never the id
    fits(page)
    screenshot(page, f"trades-trades-{width}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export for Ghostfolio (CSV)").click()
    lines = download_info.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == GHOSTFOLIO_HEADER
    actions = [row[6] for row in csv.reader(io.StringIO("\n".join(lines[1:])))]
    assert actions == ["buy", "sell"]

    assert page.collect_csp() == []
    assert page.problems.all() == []


@pytest.mark.parametrize("width", WIDTHS)
def test_transactions_read_as_money_and_filter_by_symbol(site_server, watched_page, width):
    page, base = watched_page, site_server.url
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"{base}/trade/transactions/")
    deposit = page.locator('[data-transactions] tr[data-kind="deposit"]')
    expect(deposit).to_contain_text("+$10,000.00")
    expect(deposit).to_contain_text("Deposit")
    expect(page.locator('[data-transactions] tr[data-kind="fee"]').first).to_contain_text("-$0.")
    fits(page)
    screenshot(page, f"trades-transactions-{width}")

    page.get_by_label("Asset").fill("btc")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("[data-transactions] tbody tr[data-kind]")
    expect(rows).to_have_count(2)  # bought, then sold
    for index in range(2):
        expect(rows.nth(index)).to_contain_text("BTC")
    expect(rows.first).to_contain_text("-0.004 BTC")
    expect(rows.first.get_by_role("link", name="Order #")).to_be_visible()
    fits(page)

    page.get_by_label("Asset").fill("NOPE")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("alert").filter(has_text="No asset called NOPE")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Trades for Ghostfolio (CSV)").click()
    assert download_info.value.path().read_text(encoding="utf-8").startswith(GHOSTFOLIO_HEADER)

    assert page.collect_csp() == []
    assert page.problems.all() == []
