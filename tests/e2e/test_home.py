"""The home page in a real browser: renders, navigates, no console errors, no CSP violations."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_up_and_verify
from tests.servers import asgi_server

# The first test on this module's server also waits for it to migrate and start.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_home_page_renders_without_errors_or_csp_violations(site_server, watched_page):
    page = watched_page

    response = page.goto(site_server.url + "/")

    assert response is not None and response.status == 200
    assert "nonce-" in response.headers["content-security-policy"]
    assert page.title().startswith("Trade crypto without risking a cent")
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Markets", "Trade", "Portfolio", "Wallet", "Log in"):
        assert nav.get_by_role("link", name=label).is_visible()
    # The stylesheet applied: the body takes the theme's background, not the default white.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    screenshot(page, "home-desktop")

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_mobile_menu_opens_with_the_script_module(site_server, watched_page):
    page = watched_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site_server.url + "/")

    toggle = page.get_by_role("button", name="Menu")
    markets = page.get_by_role("navigation", name="Main").get_by_role("link", name="Markets")
    assert toggle.is_visible()
    assert not markets.is_visible()

    toggle.click()

    assert toggle.get_attribute("aria-expanded") == "true"
    assert markets.is_visible()
    screenshot(page, "home-mobile-menu-open")
    markets.click()
    page.wait_for_url("**/markets/")
    assert page.get_by_role("heading", name="Markets").is_visible()
    assert page.collect_csp() == []
    assert page.problems.all() == []


# --- issue 14: the marketing page for visitors, the dashboard for traders, the reset ---

PASSWORD = "correct horse battery"
WIDTHS = (1366, 390)
MARKET_BUY = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"}
# Far below the price: it stays open.
LIMIT_BUY = {
    "coin": "ethereum",
    "side": "buy",
    "type": "limit",
    "quantity": "0.1",
    "limit_price": "100",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own: its sign-ups count against a fresh rate limit."""
    with asgi_server(tmp_path_factory.mktemp("home"), REDIS_URL=None) as live:
        yield live


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"the page scrolls sideways at {page.viewport_size['width']} px"
    )


def api(page, base: str, method: str, path: str, body: dict | None = None):
    """Call the API as the logged-in page does: session cookie and CSRF token."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.fetch(
        base + path,
        method=method,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        data=body,
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response


def buy_at_market(page, base: str) -> None:
    """A market buy: from the markets page, whose price socket keeps the feed running (it
    idles while nobody listens), once a fresh price is there."""
    page.goto(base + "/markets/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for _ in range(40):
        response = page.request.post(
            base + "/api/orders",
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
            data=MARKET_BUY,
        )
        if response.ok or "price_unavailable" not in response.text():
            break
        page.wait_for_timeout(500)
    assert response.ok, response.text()


@pytest.mark.parametrize("width", WIDTHS)
def test_visitors_are_offered_sign_up_right_under_the_headline(server, watched_page, width):
    page = watched_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(server.url + "/")

    headline = page.get_by_role("heading", level=1).bounding_box()
    signup = page.locator(".hero").get_by_role("link", name="Create a free account")
    expect(signup).to_be_visible()
    box = signup.bounding_box()
    assert headline and box and 0 <= box["y"] - (headline["y"] + headline["height"]) < 80
    expect(page.locator(".hero")).to_contain_text("Start with $10,000 in demo dollars")
    no_sideways_scroll(page)
    screenshot(page, f"home-visitor-{width}")
    signup.click()
    page.wait_for_url("**/accounts/signup/")
    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_the_dashboard_at_both_widths_with_live_values(server, watched_page):
    page, base = watched_page, server.url
    sign_up_and_verify(page, base, email="dash@example.com", name="Dana", password=PASSWORD)
    buy_at_market(page, base)
    api(page, base, "POST", "/api/orders", LIMIT_BUY)
    api(page, base, "PUT", "/api/watchlist/dogecoin")

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Dana")
        holdings = page.get_by_role("list", name="Your largest holdings")
        expect(holdings.get_by_role("link", name="Bitcoin", exact=True)).to_be_visible()
        expect(holdings).to_contain_text("0.01 BTC")
        expect(page.locator(".dash-orders")).to_contain_text("1 open order waiting for its price")
        expect(page.locator(".dash-orders")).to_contain_text("Buy 0.1 ETH")
        watch = page.get_by_role("list", name="Coins you watch")
        expect(watch.get_by_role("link", name="Dogecoin", exact=True)).to_be_visible()
        expect(watch.locator("[data-watch-price]")).to_have_text(re.compile(r"^\$0\.\d{4}$"))
        # Live: the simulated feed moves the price every second; the total follows.
        expect(page.locator("[data-live-status]")).to_have_text("Live")
        first = page.locator("[data-total]").inner_text()
        expect(page.locator("[data-total]")).not_to_have_text(first, timeout=15_000)
        expect(page.locator("[data-day-change] .chg")).to_have_text(re.compile(r"^[▲▼]?[+-]?\$"))
        no_sideways_scroll(page)
        screenshot(page, f"home-dashboard-{width}")

    page.locator(".dash-holdings").get_by_role("link", name="Trade Bitcoin").click()
    page.wait_for_url("**/trade/?coin=bitcoin")
    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_the_paper_account_reset_with_its_in_page_confirmation(server, watched_page):
    page, base = watched_page, server.url
    sign_up_and_verify(page, base, email="reset@example.com", name="Rae", password=PASSWORD)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        buy_at_market(page, base)
        api(page, base, "POST", "/api/orders", LIMIT_BUY)
        page.goto(base + "/accounts/")
        section = page.locator("[data-reset]")
        expect(section).to_contain_text("cancels every open order")
        expect(section).to_contain_text("removes every coin you hold")
        section.get_by_role("button", name="Reset paper account").click()
        word = section.get_by_label("Type RESET to confirm")
        expect(word).to_be_focused()

        word.fill("yes")
        section.get_by_role("button", name="Reset my account").click()
        expect(section.get_by_role("alert")).to_have_text("Type RESET to confirm the reset.")
        no_sideways_scroll(page)
        screenshot(page, f"account-reset-confirm-{width}")

        word.fill("RESET")
        section.get_by_role("button", name="Reset my account").click()
        status = section.get_by_role("status")
        expect(status).to_contain_text(
            "Your paper account is reset: $10,000.00 in cash, no coins, 1 open order cancelled."
        )
        expect(section.get_by_role("button", name="Reset my account")).to_be_hidden()
        no_sideways_scroll(page)
        screenshot(page, f"account-reset-done-{width}")

        status.get_by_role("link", name="See your dashboard").click()
        page.wait_for_url(base + "/")
        expect(page.locator("[data-total]")).to_have_text("$10,000.00")
        expect(page.locator(".dash-holdings")).to_contain_text("You hold no coins yet")
        expect(page.locator(".dash-orders")).to_contain_text("No open orders")

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_after_a_password_reset_the_login_form_has_the_email(server, watched_page):
    page, base = watched_page, server.url
    sign_up_and_verify(page, base, email="forgot@example.com", name="Fay", password=PASSWORD)
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/accounts/password/forgot/")
    page.get_by_label("Email").fill("forgot@example.com")
    page.get_by_role("button", name="Send the link").click()
    page.goto(base + "/dev/outbox/")
    body = page.locator(".outbox-message", has_text="forgot@example.com").first.inner_text()
    link = re.search(r"http://\S+(/accounts/password/reset/\S+/)", body)
    assert link
    page.goto(base + link.group(1))
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_role("button", name="Set the password").click()

    page.wait_for_url(base + "/accounts/login/")  # the address is not in the URL
    expect(page.get_by_label("Email")).to_have_value("forgot@example.com")
    expect(page.get_by_label("Password")).to_be_focused()
    no_sideways_scroll(page)
    screenshot(page, "login-after-reset-390")
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/markets/")
    assert page.collect_csp() == []
    assert page.problems.all() == []


AUTH_PAGES = {
    "signup": ("/accounts/signup/", "Create your account"),
    "login": ("/accounts/login/", "Log in"),
    "verify": ("/accounts/verify/", None),
    "forgot": ("/accounts/password/forgot/", None),
    "reset-invalid": ("/accounts/password/reset/not-a-token/", None),
}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_auth_pages_fit_a_phone_and_a_laptop(server, watched_page, width):
    page = watched_page
    page.set_viewport_size({"width": width, "height": 900})

    for name, (path, heading) in AUTH_PAGES.items():
        page.goto(server.url + path)
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        no_sideways_scroll(page)
        screenshot(page, f"auth-{name}-{width}")
    page.goto(server.url + "/accounts/signup/")
    expect(page.locator(".auth-card")).to_contain_text("Start with $10,000 of simulated dollars")
    assert page.collect_csp() == []
    # The invalid reset link answers 400, which the browser logs as a console error.
    assert [p for p in page.problems.all() if "400" not in p] == []
