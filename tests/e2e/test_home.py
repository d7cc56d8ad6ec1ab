"""The home page in a real browser: renders, navigates, no console errors, no CSP violations."""

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


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
