"""Browser: the trade ticket on /trade/ and on a coin page, at a laptop's and a phone's width.

It shows exactly the fields of the chosen order type, and a limit price typed there makes
a limit order (issue 12 item 4: the coin page lacked the ticket's sheet, so the limit and
stop boxes showed on a market order, and a $150 limit typed there filled at the market).
Issue 14: it shows what the order can spend or sell with a Max button, the server's
estimate, a warning before an order larger than the balance, the server's refusals beside
the field (announced), and an in-page review of the server's quote instead of confirm();
/trade/ lists balances and prices by coin name and symbol, in the site's money format.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cryptovault.display import price_text_usd, quantity_text, usd_text
from tests.e2e.conftest import RESULTS, screenshot, sign_up_and_verify

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # pragma: allowlist secret
PAGES = [
    pytest.param("/trade/?coin=bitcoin", id="trade"),
    pytest.param("/markets/bitcoin/", id="coin"),
]
WIDTHS = {"desktop": 1366, "phone": 390}
STEP = Decimal("0.00000001")


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


def page_at(page, width: str, url: str):
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    page.goto(url)
    ticket = page.locator("[data-ticket]")
    expect(ticket.locator("[data-ticket-available]")).to_be_visible()  # balances loaded
    return ticket


def fits(page) -> bool:
    """Nothing makes the page scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def available(page, base: str, asset: str) -> Decimal:
    """What the API says is available of ``asset`` (USD or a coin id)."""
    rows = page.request.get(f"{base}/api/balances").json()
    return next((Decimal(row["available"]) for row in rows if row["asset"] == asset), Decimal(0))


def quote(page, base: str, **order: str) -> dict:
    answer = page.request.get(f"{base}/api/orders/quote", params=order)
    assert answer.ok, answer.text()
    return answer.json()


def buy_at_market(page, base: str, quantity: str) -> None:
    """A market buy through the API (placing through the ticket is tested above), once the
    simulated feed has a price fresh enough to trade at: a busy machine may lag it."""
    page.goto(f"{base}/markets/bitcoin/")  # its price socket keeps the feed running
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    order = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": quantity}
    for _ in range(40):
        answer = page.request.post(f"{base}/api/orders", headers={"X-CSRFToken": token}, data=order)
        if answer.ok or "price_unavailable" not in answer.text():
            break
        page.wait_for_timeout(500)
    assert answer.ok, answer.text()


# Chromium logs every 4xx answer to a fetch as a console error: a quote the server refuses
# is one, and the tests that type a refused order expect exactly those.
REFUSED_QUOTE = "the server responded with a status of 400 (Bad Request)"


def no_problems(page, *, refusals: bool = False) -> None:
    assert page.collect_csp() == []
    problems = page.problems.all()
    if refusals:
        problems = [problem for problem in problems if REFUSED_QUOTE not in problem]
    assert problems == []


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

    no_problems(page)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_ticket_fits_a_desktop_and_a_phone(site_server, watched_page, path, width):
    page = watched_page
    name = "trade" if path.startswith("/trade/") else "coin"

    # given the page opened at a desktop's or a phone's width
    ticket = page_at(page, width, f"{site_server.url}{path}")
    expect(ticket.get_by_label("Quantity (coins)")).to_be_visible()

    # then nothing is wider than the screen, with a market or a limit order
    assert fits(page)
    screenshot(page, f"ticket-{name}-{width}-market")
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Quantity (coins)").fill("0.01")
    ticket.get_by_label("Limit price (USD)").fill("150")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated cost")
    assert fits(page)
    ticket.screenshot(path=str(RESULTS / f"ticket-{name}-{width}-limit.png"))

    # nor with the review open
    ticket.get_by_role("button", name="Review order").click()
    expect(ticket.get_by_role("button", name="Confirm")).to_be_visible()
    assert fits(page)
    ticket.screenshot(path=str(RESULTS / f"ticket-{name}-{width}-review.png"))

    no_problems(page)


def test_a_limit_price_typed_on_the_coin_page_makes_an_open_limit_order(site_server, watched_page):
    page, base = watched_page, site_server.url
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

    # when the order is reviewed and confirmed
    ticket.get_by_role("button", name="Review order").click()
    ticket.get_by_role("button", name="Confirm").click()

    # then it is an open limit order at $150, not a fill at the market
    expect(page.get_by_text(re.compile(r"Your limit order #\d+ is open\."))).to_be_visible()
    assert page.url == f"{base}/markets/bitcoin/"
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
    ticket.get_by_role("button", name="Review order").click()
    ticket.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(re.compile(r"Buy 0\.0001 BTC filled at \$"))).to_be_visible()
    assert page.url == f"{base}/markets/bitcoin/"
    assert "limit_price" not in sent[-1] and "stop_price" not in sent[-1], sent[-1]

    no_problems(page)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_review_shows_the_servers_quote_and_places_from_it(
    site_server, watched_page, path, width
):
    page, base = watched_page, site_server.url
    name = "trade" if path.startswith("/trade/") else "coin"
    placed: list[str] = []
    page.on("dialog", lambda dialog: placed.append(dialog.message))  # there must be none

    # given a limit buy of 0.01 BTC at $150 typed in the ticket
    ticket = page_at(page, width, f"{base}{path}")
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Quantity (coins)").fill("0.01")
    ticket.get_by_label("Limit price (USD)").fill("150")
    review_button = ticket.get_by_role("button", name="Review order")

    # when it is reviewed
    review_button.click()

    # then the review, with the focus on it, states the server's quote of that order
    server = quote(
        page, base, coin="bitcoin", side="buy", type="limit", quantity="0.01", limit_price="150"
    )
    review = ticket.locator("[data-ticket-review]")
    expect(review).to_be_visible()
    expect(review.get_by_role("heading", name="Review your order")).to_be_focused()
    expect(review.locator('[data-review="order"]')).to_have_text("Buy Bitcoin · Limit")
    expect(review.locator('[data-review="quantity"]')).to_have_text("0.01 BTC")
    expect(review.locator('[data-review="price"]')).to_have_text(price_text_usd(server["price"]))
    expect(review.locator('[data-review="fee"]')).to_have_text(usd_text(server["fee"]))
    expect(review.locator('[data-review="total-label"]')).to_have_text("Total cost")
    expect(review.locator('[data-review="total"]')).to_have_text(usd_text(server["total"]))
    expect(ticket.get_by_label("Quantity (coins)")).to_be_hidden()
    assert fits(page)
    screenshot(page, f"ticket-review-{name}-{WIDTHS[width]}")

    # when Edit is chosen, the fields come back and the focus returns to Review order
    ticket.get_by_role("button", name="Edit").click()
    expect(review).to_be_hidden()
    expect(review_button).to_be_focused()

    # and the keyboard alone opens the review again (Enter), closes it (Escape), reopens it
    ticket.get_by_label("Quantity (coins)").press("Enter")
    expect(review).to_be_visible()
    page.keyboard.press("Escape")
    expect(review).to_be_hidden()
    expect(review_button).to_be_focused()
    page.keyboard.press("Enter")
    expect(review.get_by_role("heading", name="Review your order")).to_be_focused()

    # when Confirm is pressed, the order reviewed is placed: open, resting at $150
    page.keyboard.press("Tab")  # Edit
    page.keyboard.press("Tab")  # Confirm
    expect(ticket.get_by_role("button", name="Confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Your limit order #\d+ is open\."))).to_be_visible()
    assert placed == []

    no_problems(page)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_buy_larger_than_the_dollars_is_warned_before_it_is_sent(
    site_server, watched_page, path, width
):
    page, base = watched_page, site_server.url
    name = "trade" if path.startswith("/trade/") else "coin"
    have = available(page, base, "USD")
    assert have < 50_000

    # given the ticket, with the dollars available shown beside the amount
    ticket = page_at(page, width, f"{base}{path}")
    expect(ticket.locator("[data-ticket-available]")).to_have_text(usd_text(have))

    # when a $50,000 market buy is typed
    ticket.get_by_label("or amount to spend (USD, market buys)").fill("50000")

    # then a warning is announced before anything is sent
    warning = ticket.get_by_role("alert").filter(has_text="Not enough USD")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"you have {usd_text(have)} available")
    assert fits(page)
    screenshot(page, f"ticket-over-balance-{name}-{WIDTHS[width]}")

    # and the review says so again, with Confirm disabled
    ticket.get_by_role("button", name="Review order").click()
    expect(ticket.locator("[data-ticket-review]")).to_be_visible()
    expect(warning).to_be_visible()
    expect(ticket.get_by_role("button", name="Confirm")).to_be_disabled()

    # and an amount within the balance takes the warning away
    ticket.get_by_role("button", name="Edit").click()
    ticket.get_by_label("or amount to spend (USD, market buys)").fill("25")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated cost $25.00")
    expect(ticket.locator("[data-ticket-warning]")).to_be_empty()
    expect(ticket.locator("[data-ticket-warning]")).to_be_hidden()

    no_problems(page)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_field_is_announced_beside_it(site_server, watched_page, path, width):
    page, base = watched_page, site_server.url
    name = "trade" if path.startswith("/trade/") else "coin"
    ticket = page_at(page, width, f"{base}{path}")
    quantity = ticket.get_by_label("Quantity (coins)")

    # when a limit order worth less than the smallest order is typed
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Limit price (USD)").fill("150")
    quantity.fill("0.00001")

    # then the server's reason is announced beside the quantity, in the error colour
    error = ticket.locator(".field:has(#ticket-quantity)").get_by_role("alert")
    expect(error).to_contain_text("less than the smallest order")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    assert error.evaluate(
        """(el) => {
            const probe = document.createElement("span");
            probe.style.color = "var(--down)";
            el.append(probe);
            const red = getComputedStyle(probe).color;
            probe.remove();
            return getComputedStyle(el).color === red;
        }"""
    )
    assert fits(page)
    screenshot(page, f"ticket-field-error-{name}-{WIDTHS[width]}")

    # and a valid quantity takes it away
    quantity.fill("0.01")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated cost")
    expect(ticket.locator(".field:has(#ticket-quantity)").get_by_role("alert")).to_have_count(0)
    expect(quantity).not_to_have_attribute("aria-invalid", "true")

    # when the order is reviewed without a quantity, the server's refusal is beside it
    # and the focus is on the field to fix
    quantity.fill("")
    ticket.get_by_role("button", name="Review order").click()
    expect(ticket.locator(".field:has(#ticket-quantity)").get_by_role("alert")).to_contain_text(
        "quantity must be a positive number"
    )
    expect(quantity).to_be_focused()
    expect(ticket.locator("[data-ticket-review]")).to_be_hidden()

    no_problems(page, refusals=True)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_max_fills_the_amount_with_what_is_available(site_server, watched_page, path, width):
    page, base = watched_page, site_server.url
    name = "trade" if path.startswith("/trade/") else "coin"
    dollars = available(page, base, "USD")

    # given the ticket on a market buy
    ticket = page_at(page, width, f"{base}{path}")
    expect(ticket.locator("[data-ticket-available]")).to_have_text(usd_text(dollars))
    amount = ticket.get_by_label("or amount to spend (USD, market buys)")
    quantity = ticket.get_by_label("Quantity (coins)")

    # when Max is pressed, the amount to spend is every dollar (to the cent), fee included
    ticket.get_by_role("button", name="Max").click()
    cents = dollars.quantize(Decimal("0.01"), ROUND_DOWN)
    expect(amount).to_have_value(re.compile(rf"^{re.escape(str(cents))}$|^{int(cents)}$"))
    assert Decimal(amount.input_value()) == cents
    expect(quantity).to_have_value("")
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated cost")
    expect(ticket.locator("[data-ticket-warning]")).to_be_empty()
    assert fits(page)
    screenshot(page, f"ticket-max-{name}-{WIDTHS[width]}")

    # when a limit buy at $150 takes the Max, the quantity is the most the dollars pay
    # for at that price, fee included, as the server quotes it
    ticket.get_by_label("Order type").select_option("limit")
    ticket.get_by_label("Limit price (USD)").fill("150")
    ticket.get_by_role("button", name="Max").click()
    expect(quantity).not_to_have_value("")
    most = Decimal(quantity.input_value())
    order = {"coin": "bitcoin", "side": "buy", "type": "limit", "limit_price": "150"}
    assert Decimal(quote(page, base, **order, quantity=str(most))["total"]) <= dollars
    assert Decimal(quote(page, base, **order, quantity=str(most + STEP))["total"]) > dollars
    expect(ticket.locator("[data-ticket-warning]")).to_be_empty()

    # and a limit buy without its price yet says so beside the price
    ticket.get_by_label("Limit price (USD)").fill("")
    ticket.get_by_role("button", name="Max").click()
    price_box = ticket.locator(".field:has(#ticket-limit)")
    expect(price_box.get_by_role("alert")).to_contain_text("limit_price")

    no_problems(page, refusals=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_sell_shows_the_coins_available_and_max_sells_them_all(site_server, watched_page, width):
    page, base = watched_page, site_server.url

    # given a trader who bought 0.01 BTC (what is available follows the order)
    before = available(page, base, "bitcoin")
    buy_at_market(page, base, "0.01")
    held = available(page, base, "bitcoin")
    assert held == before + Decimal("0.01")
    dollars = available(page, base, "USD")

    # when the ticket is turned to sell
    ticket = page_at(page, width, f"{base}/markets/bitcoin/")
    expect(ticket.locator("[data-ticket-available]")).to_have_text(usd_text(dollars))
    ticket.get_by_role("radio", name="Sell").check()

    # then the coins available are shown by symbol, and Max fills the whole quantity
    expect(ticket.locator("[data-ticket-available]")).to_have_text(f"{quantity_text(held)} BTC")
    ticket.get_by_role("button", name="Max").click()
    expect(ticket.get_by_label("Quantity (coins)")).to_have_value(quantity_text(held))
    expect(ticket.locator("[data-ticket-estimate]")).to_contain_text("Estimated proceeds")
    expect(ticket.locator("[data-ticket-warning]")).to_be_empty()
    assert fits(page)
    screenshot(page, f"ticket-sell-max-{WIDTHS[width]}")

    # and one coin more than that is warned about
    ticket.get_by_label("Quantity (coins)").fill(str(held + 1))
    expect(ticket.get_by_role("alert").filter(has_text="Not enough BTC")).to_be_visible()

    no_problems(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_trade_page_lists_balances_and_prices_by_name(site_server, watched_page, width):
    page, base = watched_page, site_server.url
    if available(page, base, "bitcoin") == 0:
        buy_at_market(page, base, "0.001")
    dollars = available(page, base, "USD")
    coins = available(page, base, "bitcoin")

    # when /trade/ is opened
    page_at(page, width, f"{base}/trade/")

    # then the balances are in dollars and coin quantities, coins by name and symbol
    table = page.locator("[data-balances]")
    usd_row = table.locator('tr[data-asset="USD"]')
    expect(usd_row.get_by_role("rowheader")).to_have_text("US dollar USD")
    expect(usd_row.locator("td").first).to_have_text(usd_text(dollars))
    btc_row = table.locator('tr[data-asset="bitcoin"]')
    expect(btc_row.get_by_role("rowheader")).to_have_text("Bitcoin BTC")
    expect(btc_row.locator("td").first).to_have_text(quantity_text(coins))

    # and the last prices name each coin, priced by size (dogecoin to 4 significant digits)
    prices = page.locator("[data-ticket-prices]")
    expect(prices.locator('[data-coin="bitcoin"]')).to_contain_text("Bitcoin BTC")
    expect(prices.locator('[data-coin="bitcoin"]')).to_contain_text(
        re.compile(r"\$\d{1,3}(,\d{3})+\.\d\d")
    )
    expect(prices.locator('[data-coin="dogecoin"]')).to_contain_text(
        re.compile(r"Dogecoin DOGE\s*\$0\.\d{4}$")
    )
    expect(prices.locator('[data-coin="binancecoin"]')).to_contain_text("BNB")
    assert "binancecoin" not in prices.inner_text() and "usd-coin" not in prices.inner_text()
    assert fits(page)
    screenshot(page, f"ticket-trade-page-{WIDTHS[width]}")

    # and a coin's price chooses it in the ticket
    prices.get_by_role("link", name=re.compile("Ethereum")).click()
    expect(page.locator("[data-ticket]").get_by_label("Coin", exact=True)).to_have_value("ethereum")

    # and a link may open the ticket on a sell (a holding's), with the coins available
    page.goto(f"{base}/trade/?coin=bitcoin&side=sell")
    ticket = page.locator("[data-ticket]")
    expect(ticket.get_by_role("radio", name="Sell")).to_be_checked()
    expect(ticket.locator("[data-ticket-available]")).to_have_text(f"{quantity_text(coins)} BTC")

    no_problems(page)


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# axe-core on the ticket and /trade/'s lists only (the rest of each page is checked by
# test_every_page): serious and critical findings, in the light and the dark theme.
AXE_ON_TICKET = """
async () => {
  const where = { include: [["[data-ticket]"], ["[data-balances]"], ["[data-ticket-prices]"]] };
  const results = await axe.run(where, { resultTypes: ["violations"] });
  return results.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}
"""


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")
@pytest.mark.parametrize("width", WIDTHS)
def test_the_tickets_warning_review_and_errors_pass_axe(
    site_server, browser, signed_in_state, width
):
    # axe is injected, which the site's CSP refuses: this page alone runs without it
    context = browser.new_context(
        bypass_csp=True,
        storage_state=signed_in_state,
        viewport={"width": WIDTHS[width], "height": 900},
    )
    page = context.new_page()
    found: list[str] = []

    def check(state: str) -> None:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            found.extend(f"{state} ({scheme}): {v}" for v in page.evaluate(AXE_ON_TICKET))

    try:
        ticket = page_at(page, width, f"{site_server.url}/trade/?coin=bitcoin")
        page.add_script_tag(path=str(AXE))
        check("opened")

        # the over-balance warning, then the review with Confirm disabled
        ticket.get_by_label("or amount to spend (USD, market buys)").fill("50000")
        expect(ticket.locator("[data-ticket-warning]")).not_to_be_empty()
        check("warned")
        ticket.get_by_role("button", name="Review order").click()
        expect(ticket.get_by_role("button", name="Confirm")).to_be_disabled()
        check("review")

        # a refused field
        ticket.get_by_role("button", name="Edit").click()
        ticket.get_by_label("or amount to spend (USD, market buys)").fill("0.5")
        expect(ticket.locator(".field:has(#ticket-quote)").get_by_role("alert")).to_be_visible()
        check("refused")
    finally:
        context.close()

    assert found == []
