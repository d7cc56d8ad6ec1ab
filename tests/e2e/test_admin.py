"""Browser: the operators' admin (overview, order list, cancel and credit actions) and
the API docs page, at 1366 px and 390 px, with no console error or CSP violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.processes import child_env, run_python
from tests.servers import asgi_server

# Each test logs in and walks several admin pages: more than the default 120 s when
# the machine is shared.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PASSWORD = "correct horse battery"  # pragma: allowlist secret
OPERATOR = "ops.admin@example.com"
TRADER = "tilda.trader@example.com"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# An operator, and a trader with a filled market buy, an open limit order and a
# failed email, written into the live server's database through the services.
SEED = f"""
from decimal import Decimal
from django.utils import timezone
from accounts.models import SentEmail, User
from markets.models import Coin, PriceTick
from trading.services import account_fund_initial, order_place

User.objects.create_superuser(email={OPERATOR!r}, password={PASSWORD!r})
trader = User.objects.create_user(
    email={TRADER!r}, password={PASSWORD!r}, name="Tilda", email_verified_at=timezone.now()
)
account_fund_initial(user=trader)
for coin_id, price in (("bitcoin", "50000"), ("dogecoin", "0.18031")):
    PriceTick.objects.create(
        coin=Coin.objects.get(pk=coin_id), price=Decimal(price), source="simulated",
        at=timezone.now(),
    )
order_place(user=trader, coin_id="bitcoin", side="buy", type="market", quantity=Decimal("0.01"))
order_place(user=trader, coin_id="dogecoin", side="buy", type="market", quantity=Decimal("1234.5"))
order_place(
    user=trader, coin_id="bitcoin", side="buy", type="limit", quantity=Decimal("0.02"),
    limit_price=Decimal("1000"), client_order_id="a-long-client-order-id-for-the-list",
)
SentEmail.objects.create(
    kind="verification", to="bounced.address@example.com", subject="Your code",
    status="failed", error="SMTPRecipientsRefused: 550 mailbox unavailable",
)
print("seeded")
"""

_AXE_RUN = """
async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with asgi_server(tmp_path_factory.mktemp("admin"), REDIS_URL=None) as live:
        seeded = run_python(SEED, env=child_env(DATABASE_URL=live.database_url))
        assert seeded.returncode == 0, seeded.stderr
        yield live


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


def _fits(page) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert scroll <= inner, f"the page is {scroll} px wide in {inner}"


def _clean(page) -> None:
    assert page.collect_csp() == []
    assert page.problems.all() == []


def _axe_clean(page) -> None:
    """No serious or critical axe finding (run in a CSP-free copy: axe is injected)."""
    context = page.context.browser.new_context(
        bypass_csp=True, storage_state=page.context.storage_state(), viewport=page.viewport_size
    )
    copy = context.new_page()
    try:
        copy.goto(page.url)
        copy.add_script_tag(path=str(AXE))
        assert copy.evaluate(_AXE_RUN) == []
    finally:
        context.close()


def test_overview_and_the_order_list_at_1366(server, watched_page):
    page, base = watched_page, server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, base)

    # The index leads to the overview.
    page.get_by_role("link", name="Operations overview").click()
    page.wait_for_url("**/admin/trading/order/overview/")
    expect(page.get_by_role("heading", name="Operations overview")).to_be_visible()
    expect(page.locator('[data-stat="users"]')).to_contain_text("2")
    expect(page.locator('[data-stat="orders-today"]')).to_contain_text("3")
    expect(page.locator('[data-stat="volume-today"]')).to_contain_text("$722.59")
    expect(page.locator('[data-stat="orders-open"]')).to_contain_text("1")
    expect(page.locator('[data-stat="email-failures"]')).to_contain_text("1")
    expect(page.locator("[data-quota]")).to_contain_text("used of")
    expect(page.locator('[data-panel="emails"]')).to_contain_text("bounced.address@example.com")
    expect(page.locator('tr[data-audit="order_placed"]').first).to_be_visible()
    _fits(page)
    screenshot(page, "admin-overview-1366")
    _axe_clean(page)

    # The order list: every column inside the window, beside the filters.
    page.goto(f"{base}/admin/trading/order/")
    table = page.locator("#result_list")
    expect(table).to_be_visible()
    screenshot(page, "admin-orders-1366")
    last = table.locator("thead th").last
    expect(last).to_contain_text("Placed (UTC)")
    box, filters = last.bounding_box(), page.locator("#changelist-filter").bounding_box()
    assert box is not None and filters is not None
    assert box["x"] + box["width"] <= filters["x"], "the last column runs under the filters"
    expect(table).to_contain_text("BTC")
    expect(table).to_contain_text("$1,000.00")
    _fits(page)
    _clean(page)


def test_cancel_and_credit_through_the_actions(server, watched_page):
    page, base = watched_page, server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, base)

    # Cancel the open order from the list.
    page.goto(f"{base}/admin/trading/order/?status__exact=open")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("cancel_open_orders")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Cancelled 1 order(s), holds released")
    screenshot(page, "admin-orders-cancelled-1366")

    # Credit the trader from the balances list: the amount and reason on their own page.
    page.goto(f"{base}/admin/trading/balance/?asset=USD&q={TRADER}")
    page.locator("#result_list tbody tr").first.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("credit_demo_dollars")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Credit demo dollars")).to_be_visible()
    expect(page.locator(".cv-credit-users")).to_contain_text(TRADER)
    page.get_by_label("Amount (USD)").fill("0")
    page.get_by_label("Reason").fill("Goodwill after the outage")
    page.get_by_role("button", name="Credit").click()
    expect(page.get_by_role("alert")).to_contain_text("The amount must be more than $0.")
    _axe_clean(page)
    screenshot(page, "admin-credit-refused-1366")
    page.get_by_label("Amount (USD)").fill("250.50")
    page.get_by_role("button", name="Credit").click()
    expect(page.locator(".messagelist")).to_contain_text("Credited $250.50 to 1 user(s).")
    screenshot(page, "admin-balances-credited-1366")

    # Both are in the audit trail the overview shows.
    page.goto(f"{base}/admin/trading/order/overview/")
    expect(page.locator('tr[data-audit="account_credit"]')).to_contain_text("250.5")
    expect(page.locator('tr[data-audit="order_cancelled_by_staff"]')).to_contain_text(OPERATOR)
    expect(page.locator('[data-stat="orders-open"]')).to_contain_text("0")
    _clean(page)


def test_the_admin_at_390(server, watched_page):
    page, base = watched_page, server.url
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, base)

    for path, name in (
        ("/admin/trading/order/overview/", "admin-overview-390"),
        ("/admin/trading/order/", "admin-orders-390"),
    ):
        page.goto(f"{base}{path}")
        _fits(page)
        screenshot(page, name)
    _clean(page)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_api_docs_page_has_no_console_error_or_csp_violation(server, watched_page, width):
    page = watched_page
    page.set_viewport_size({"width": width, "height": 900 if width > 800 else 844})

    response = page.goto(f"{server.url}/api/docs/")

    assert response is not None and response.status == 200
    # Swagger UI drew the schema: the operations, then one opened with its example. The
    # schema is generated on request: give it longer than a page on a busy machine.
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible(timeout=60_000)
    expect(page.locator(".opblock-tag").first).to_be_visible()
    operation.locator(".opblock-summary").click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(250, 250, 250)"  # the page styles, from a file
    page.wait_for_timeout(300)  # the opened operation's tables are drawn
    screenshot(page, f"api-docs-{width}")
    _fits(page)
    _clean(page)
