"""Browser: the trade ticket shows exactly the fields of the chosen order type, on /trade/
and on a coin page, and a limit price typed there makes a limit order (issue 12 item 4:
the coin page lacked the ticket's sheet, so the limit and stop boxes showed on a market
order, and a $150 limit typed there filled at the market)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RESULTS, screenshot, sign_up_and_verify

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # pragma: allowlist secret
PAGES = [
    pytest.param("/trade/?coin=bitcoin", id="trade"),
    pytest.param("/markets/bitcoin/", id="coin"),
]
WIDTHS = {"desktop": 1366, "phone": 390}


@pytest.fixture(scope="module")
def signed_in_state(site_server, browser) -> dict:
    """A verified trader's cookies, signed up once for the module."""
    context = browser.new_context()
    page = context.new_page()
    sign_up_and_verify(
        page,
        site_server.url,
        email="ticket.tester@example.com",
        name="Tia Ticket",
        password=PASSWORD,
    )
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def browser_context_args(browser_context_args, signed_in_state) -> dict:
    return {**browser_context_args, "storage_state": signed_in_state}


def boxes(page):
    ticket = page.locator("[data-ticket]")
    return {
        "quantity": ticket.get_by_label("Quantity (coins)"),
        "quote": ticket.get_by_label("or amount to spend (USD, market buys)"),
        "limit": ticket.get_by_label("Limit price (USD)"),
        "stop": ticket.get_by_label("Stop price (USD)"),
    }


def expect_shown(page, *shown: str) -> None:
    """Exactly the ``shown`` inputs are visible and enabled; the others hidden and disabled
    (a disabled input is not submitted)."""
    for name, box in boxes(page).items():
        if name in shown:
            expect(box).to_be_visible()
            expect(box).to_be_enabled()
        else:
            expect(box).to_be_hidden()
            expect(box).to_be_disabled()


@pytest.mark.parametrize("path", PAGES)
def test_the_ticket_shows_exactly_the_fields_of_the_chosen_type(site_server, watched_page, path):
    page = watched_page

    # given the ticket on the page, a market buy as it opens
    page.goto(f"{site_server.url}{path}")
    ticket = page.locator("[data-ticket]")
    expect(ticket.get_by_label("Order type")).to_have_value("market")

    # then a market buy shows the quantity and the amount, no limit or stop price
    expect_shown(page, "quantity", "quote")

    # when the side is sell, the amount (for market buys) goes too
    ticket.get_by_role("radio", name="Sell").check()
    expect_shown(page, "quantity")
    ticket.get_by_role("radio", name="Buy").check()

    # when limit is chosen, the limit price shows
    ticket.get_by_label("Order type").select_option("limit")
    expect_shown(page, "quantity", "limit")
    ticket.get_by_label("Limit price (USD)").fill("150")
    ticket.get_by_label("Quantity (coins)").fill("0.01")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("at $150.00")

    # when stop is chosen, the stop price shows instead
    ticket.get_by_label("Order type").select_option("stop")
    expect_shown(page, "quantity", "stop")

    # and back to market: the limit price typed earlier is hidden again
    ticket.get_by_label("Order type").select_option("market")
    expect_shown(page, "quantity", "quote")

    assert page.collect_csp() == []
    assert page.problems.all() == []


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_ticket_fits_a_desktop_and_a_phone(site_server, watched_page, path, width):
    page = watched_page
    name = "trade" if path.startswith("/trade/") else "coin"

    # given the page opened at a desktop's or a phone's width
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    page.goto(f"{site_server.url}{path}")
    ticket = page.locator("[data-ticket]")
    expect(ticket.get_by_label("Quantity (coins)")).to_be_visible()

    # then nothing is wider than the screen, with a market or a limit order
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    screenshot(page, f"ticket-{name}-{width}-market")
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Quantity (coins)").fill("0.01")
    ticket.get_by_label("Limit price (USD)").fill("150")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated cost")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    ticket.screenshot(path=str(RESULTS / f"ticket-{name}-{width}-limit.png"))

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_a_limit_price_typed_on_the_coin_page_makes_an_open_limit_order(site_server, watched_page):
    page, base = watched_page, site_server.url
    page.on("dialog", lambda dialog: dialog.accept())  # the ticket's confirmation
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(request.post_data or "") if request.method == "POST" else None,
    )

    # given the coin page's ticket, with limit chosen and a $150 limit for 0.01 BTC
    page.goto(f"{base}/markets/bitcoin/")
    ticket = page.locator("[data-ticket]")
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Quantity (coins)").fill("0.01")
    ticket.get_by_label("Limit price (USD)").fill("150")

    # when the order is placed
    ticket.get_by_role("button", name="Place order").click()

    # then it is an open limit order at $150, not a fill at the market
    page.wait_for_url("**/markets/bitcoin/")
    expect(page.get_by_text(re.compile(r"Your limit order #\d+ is open\."))).to_be_visible()
    assert "limit_price=150" in sent[-1] and "stop_price" not in sent[-1]
    page.goto(f"{base}/trade/orders/")
    row = page.locator("[data-open-orders] tr[data-order]").first
    expect(row).to_contain_text("Limit")
    expect(row).to_contain_text("$150")
    expect(row).to_contain_text("Open")

    # and when a limit price is typed, then market chosen again, the browser does not send
    # it: the order fills at the market
    page.goto(f"{base}/markets/bitcoin/")
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Limit price (USD)").fill("150")
    ticket.get_by_label("Order type").select_option("market")
    ticket.get_by_label("Quantity (coins)").fill("0.0001")
    ticket.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/markets/bitcoin/")
    expect(page.get_by_text(re.compile(r"Buy 0\.0001 bitcoin filled at \$"))).to_be_visible()
    assert "limit_price" not in sent[-1] and "stop_price" not in sent[-1], sent[-1]

    assert page.collect_csp() == []
    assert page.problems.all() == []
