"""The portfolio in a real browser, at 1366 and 390 px: P&L signed and coloured, the
value chart's ranges, what open orders reserve, a Trade action per holding, the
allocation, and values that follow the price socket without a reload.

The live server's simulated feed ticks every second (tests/servers.py sets
PRICE_BROADCAST_SECONDS=1), so a holding's price moves within a few seconds.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cryptovault.display import usd_text
from cryptovault.money import q8
from tests.e2e.conftest import screenshot, sign_up_and_verify
from tests.servers import asgi_server

# Sign-ups, orders, four ranges and live ticks: more than the default two minutes when
# the machine is busy.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "correct horse battery"
WIDTHS = (1366, 390)
ORDERS = [
    {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.02"},
    {"coin": "dogecoin", "side": "buy", "type": "market", "quantity": "1500"},
    # Far from the price: these stay open and reserve dollars and coins.
    {"coin": "ethereum", "side": "buy", "type": "limit", "quantity": "0.5", "limit_price": "100"},
    {"coin": "bitcoin", "side": "sell", "type": "limit", "quantity": "0.005", "limit_price": "9e6"},
]

# Everything the live values are made of, read in one go (a tick may land between reads).
SNAPSHOT = """() => {
  const root = document.querySelector("[data-portfolio]");
  const rows = [...document.querySelectorAll("[data-holdings] tr[data-coin]")].map((row) => ({
    coin: row.dataset.coin,
    quantity: row.dataset.quantity,
    price: row.dataset.price,
    value: row.querySelector('[data-cell="value"]').textContent.trim(),
  }));
  return {
    cash: root.dataset.cash,
    total: document.querySelector('[data-stat="total"]').textContent.trim(),
    rows,
  };
}"""

# Every P&L on the page: its text and whether its class and colour agree with its sign.
PNL = """() => {
  const styles = getComputedStyle(document.documentElement);
  const up = styles.getPropertyValue("--up").trim();
  const down = styles.getPropertyValue("--down").trim();
  const probe = document.createElement("span");
  document.body.append(probe);
  const rgb = (color) => { probe.style.color = color; return getComputedStyle(probe).color; };
  const colours = { up: rgb(up), down: rgb(down) };
  probe.remove();
  return [...document.querySelectorAll("[data-pnl]")].map((element) => ({
    text: element.querySelector("[data-pnl-usd]").textContent,
    arrow: element.querySelector(".pnl-arrow").textContent,
    className: element.className,
    color: getComputedStyle(element).color,
    colours,
  }));
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own: its sign-ups count against a fresh rate limit."""
    with asgi_server(tmp_path_factory.mktemp("portfolio"), REDIS_URL=None) as live:
        yield live


def place(page, base: str, order: dict) -> None:
    """Place ``order`` through the API as the logged-in page does (session cookie and
    CSRF token). A market order needs a price under two refresh periods old: on a busy
    machine the feed can lag a moment behind, so a ``price_unavailable`` is asked again."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for _ in range(20):
        response = page.request.post(
            base + "/api/orders",
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
            data=order,
        )
        if response.status != 400 or response.json().get("code") != "price_unavailable":
            break
        page.wait_for_timeout(500)
    assert response.ok, f"{order}: {response.status} {response.text()}"


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"the page scrolls sideways at {page.viewport_size['width']} px"
    )


def assert_pnl_signed_and_coloured(page) -> None:
    for pnl in page.evaluate(PNL):
        colours = pnl["colours"]
        if pnl["text"].startswith("+"):
            assert "pnl-up" in pnl["className"] and pnl["arrow"] == "▲", pnl
            assert pnl["color"] == colours["up"], pnl
        elif pnl["text"].startswith("-"):
            assert "pnl-down" in pnl["className"] and pnl["arrow"] == "▼", pnl
            assert pnl["color"] == colours["down"], pnl
        else:
            assert pnl["text"] == "$0.00" and "pnl-flat" in pnl["className"], pnl


def assert_values_follow_the_prices(page) -> None:
    """What the page shows is what the server's rules give for the prices it shows."""
    snapshot = page.evaluate(SNAPSHOT)
    total = Decimal(snapshot["cash"])
    for row in snapshot["rows"]:
        value = q8(Decimal(row["quantity"]) * Decimal(row["price"]))
        assert row["value"] == usd_text(value), row
        total += value
    assert snapshot["total"] == usd_text(q8(total)), snapshot


@pytest.mark.parametrize("width", WIDTHS)
def test_portfolio_at_each_width(server, watched_page, width):
    page, base = watched_page, server.url
    sign_up_and_verify(
        page, base, email=f"folio{width}@example.com", name="Folio", password=PASSWORD
    )
    for order in ORDERS:
        place(page, base, order)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(base + "/portfolio/")

    # Holdings by name and symbol, with what the open sell reserves and a Trade action.
    bitcoin = page.locator('[data-holdings] tr[data-coin="bitcoin"]')
    expect(bitcoin.get_by_role("rowheader")).to_have_text("Bitcoin BTC")
    expect(bitcoin).to_contain_text("0.005 reserved by open sells")
    expect(page.locator('[data-holdings] tr[data-coin="dogecoin"]')).to_contain_text("1,500")
    trade = bitcoin.get_by_role("link", name="Trade Bitcoin")
    expect(trade).to_be_visible()
    assert trade.get_attribute("href") == "/trade/?coin=bitcoin"
    sell = bitcoin.get_by_role("link", name="Sell Bitcoin")
    assert sell.get_attribute("href") == "/trade/?coin=bitcoin&side=sell"
    # The cash card says what the open buy reserves: 0.5 x 100 plus the 0.05 fee.
    expect(page.locator('[data-stat="cash-split"]')).to_contain_text("$50.05 reserved by open buys")
    # The return since the start, in dollars and percent, on the demo dollars.
    returned = page.locator('[data-stat="return"]').inner_text().strip()
    assert re.fullmatch(r"[▲▼]?[+-]?\$[\d,]+\.\d+\s+\([+-]?\d+\.\d\d%\)", returned), returned
    expect(page.locator(".pf-stat", has_text="Return since start")).to_contain_text(
        "on $10,000.00 of demo dollars"
    )
    # The allocation: a legend (the chart's text) with every coin and the cash.
    legend = page.get_by_role("list", name="Allocation of the total value")
    for name in ("Bitcoin BTC", "Dogecoin DOGE", "Cash USD"):
        expect(legend).to_contain_text(name)
    assert_pnl_signed_and_coloured(page)

    # The value chart: 120 points per range, $ on the axis; each range button works.
    chart = page.locator("[data-value-chart]")
    expect(chart).to_have_attribute("data-points", "120")
    expect(chart.locator("canvas").first).to_be_visible()
    # A new account's history spans the seconds since it was funded (two or three on a
    # fast run) and the chart draws one point a second: the ranges are tried once the
    # server's history spans two, or a fast run sees "appears once you have history".
    for _ in range(50):
        history = page.request.get(base + "/api/portfolio/history?range=all").json()["points"]
        if len({int(ms // 1000) for ms, _ in history}) >= 2:
            break
        page.wait_for_timeout(100)
    for label, key in (("7D", "7d"), ("1D", "1d"), ("30D", "30d"), ("All", "all")):
        button = page.get_by_role("group", name="Chart range").get_by_role("button", name=label)
        with page.expect_response(
            lambda response, key=key: (
                "/api/portfolio/history" in response.url and f"range={key}" in response.url
            )
        ) as answer:
            button.click()
        assert answer.value.ok
        # The chart draws one point a second: the range must span at least two.
        points = answer.value.json()["points"]
        assert len({int(ms // 1000) for ms, _ in points}) >= 2, (key, points[:2], points[-1:])
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(chart).to_have_attribute("data-range", key)
        expect(chart).not_to_have_attribute("aria-busy", "true")
        expect(page.locator("[data-value-status]")).to_contain_text("Cash plus coins")
    expect(page.locator("[data-value-status]")).to_contain_text(re.compile(r"Since the start: \$"))
    pressed = page.locator(".pf-segmented [aria-pressed=true]")
    expect(pressed).to_have_count(1)

    # Live: the price socket moves the holdings' prices, values and the total, no reload.
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    price = bitcoin.locator('[data-cell="price"]')
    before_price = price.inner_text()
    before_total = page.locator('[data-stat="total"]').inner_text()
    expect(price).not_to_have_text(before_price, timeout=15_000)
    expect(page.locator('[data-stat="total"]')).not_to_have_text(before_total, timeout=15_000)
    assert int(bitcoin.get_attribute("data-updates") or 0) >= 1
    assert_values_follow_the_prices(page)
    assert_pnl_signed_and_coloured(page)

    no_sideways_scroll(page)
    if width == 390:
        # One card per coin: its actions are inside the screen, not off to the side.
        for action in (trade, sell):
            box = action.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    screenshot(page, f"portfolio-{width}")
    page.emulate_media(color_scheme="dark")
    assert_pnl_signed_and_coloured(page)  # the dark theme's own green and red
    screenshot(page, f"portfolio-{width}-dark")

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_an_empty_portfolio(server, watched_page):
    page, base = watched_page, server.url
    sign_up_and_verify(page, base, email="empty@example.com", name="Emma", password=PASSWORD)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + "/portfolio/")
        expect(page.locator("[data-holdings]")).to_contain_text("No coins yet.")
        expect(page.locator('[data-stat="total"]')).to_have_text("$10,000.00")
        expect(page.locator('[data-stat="return"]')).to_have_text("$0.00 (0.00%)")
        expect(page.get_by_role("list", name="Allocation of the total value")).to_contain_text(
            "Cash USD 100.00%"
        )
        no_sideways_scroll(page)
        screenshot(page, f"portfolio-empty-{width}")

    assert page.collect_csp() == []
    assert page.problems.all() == []
