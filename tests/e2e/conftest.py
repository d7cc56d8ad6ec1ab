"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server.

Run on their own (`CRYPTOVAULT_E2E=1 pytest tests/e2e`, which `make test` does):
the sync Playwright API runs an event loop in this thread, so the ORM calls made
by fixtures here need DJANGO_ALLOW_ASYNC_UNSAFE, and async tests collected after
them would fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# CI runs the server, the local chain and Chromium on two shared cores: give a page
# 10 s (Playwright's default is 5 s) to show what a user would see.
expect.set_options(timeout=10_000)

CHROMIUM = "/usr/bin/chromium"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
        allow_module_level=True,
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # Playwright cannot download its own browser here; use Debian's, headless, and
    # keep it off the network it cannot reach anyway.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@dataclass
class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.console_errors, *self.page_errors, *self.csp_violations]


# Records CSP violations before any page script runs (init scripts are not subject
# to the page's CSP).
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def watched_page(page) -> Iterator:
    """A page whose console errors, uncaught errors and CSP violations are collected."""
    problems = PageProblems()
    page.on(
        "console",
        lambda message: (
            problems.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.add_init_script(_CSP_LISTENER)
    page.problems = problems

    def collect_csp() -> list[str]:
        try:
            found = page.evaluate("window.__cspViolations || []")
        except Exception:  # the page may be closing
            found = []
        problems.csp_violations.extend(v for v in found if v not in problems.csp_violations)
        return problems.csp_violations

    page.collect_csp = collect_csp
    yield page


def screenshot(page, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def site_server(tmp_path_factory):
    """The pages are served the way `make run` serves them: Channels' ASGI server, so the
    websockets the pages open (/ws/prices, /ws/orders) connect as they do for users."""
    from tests.servers import asgi_server

    with asgi_server(tmp_path_factory.mktemp("live"), REDIS_URL=None) as server:
        yield server


def sign_up_and_verify(page, base: str, *, email: str, name: str, password: str) -> None:
    """Sign up through the pages and verify with the code from the dev outbox."""
    import re

    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/accounts/verify/")
    page.goto(f"{base}/dev/outbox/")
    body = page.locator(".outbox-message", has_text=email).first.inner_text()
    found = re.search(r"\b(\d{6})\b", body)
    assert found, "no verification code in the dev outbox"
    page.goto(f"{base}/accounts/verify/")
    page.get_by_label("6-digit code").fill(found.group(1))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url("**/markets/")
