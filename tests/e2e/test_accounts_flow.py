"""The whole account journey in a real browser, reading emails from the dev outbox."""

import re

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(autouse=True)
def _outbox_on(settings):
    settings.DEV_OUTBOX = True


def newest_email_text(page, base_url, to):
    page.goto(f"{base_url}/dev/outbox/")
    message = page.locator(".outbox-message", has_text=to).first
    return message.locator(".outbox-body").inner_text()


def test_signup_verify_logout_forgot_reset_login(site_server, watched_page):
    page, base = watched_page, site_server.url

    # Sign up
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "accounts-1-signup")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/accounts/verify/")

    # Read the code in the dev outbox, verify: logged in, on Markets
    found = re.search(r"\b(\d{6})\b", newest_email_text(page, base, "grace@example.com"))
    assert found
    code = found.group(1)
    screenshot(page, "accounts-2-outbox")
    page.goto(f"{base}/accounts/verify/")
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url("**/markets/")
    assert page.get_by_text("Your email is verified").is_visible()
    screenshot(page, "accounts-3-verified")

    # Log out from the account menu
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("link", name="Log in").first.is_visible()

    # Forgot password, reset from the emailed link
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_role("button", name="Send the link").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    text = newest_email_text(page, base, "grace@example.com")
    found = re.search(r"http://\S+/accounts/password/reset/\S+/", text)
    assert found
    link = found.group(0)
    page.goto(base + link[link.index("/accounts/") :])
    page.get_by_label("New password").fill(NEW_PASSWORD)
    screenshot(page, "accounts-4-reset")
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url("**/accounts/login/")

    # The old password fails in place, the new one works
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").filter(has_text="not right").is_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/markets/")
    assert page.locator(".account-menu summary").inner_text() == "Grace"
    screenshot(page, "accounts-5-logged-in")

    assert page.collect_csp() == []
    assert page.problems.all() == []
