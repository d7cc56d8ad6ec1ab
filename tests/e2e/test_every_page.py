"""Every page a user can reach, logged out and logged in, on a laptop (1366 px) and a
phone (390 px): nothing scrolls sideways, axe-core finds no serious or critical
accessibility violation (in the dark and in the light theme), the browser logs no
error and no CSP violation. Each page's screenshot is kept as
test-results/<page>-<width>.png (and <page>-<width>-dark.png) for a person to look at.

An element may be wider than the screen only inside a box that scrolls itself (the
generic ``.table-scroll`` wrapper); a page that widens the whole document fails here
with the element that does it named.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import _CSP_LISTENER, RESULTS, sign_up_and_verify
from tests.servers import asgi_server

# Signing the trader up and trading takes ~30 s before the first page; more on a busy machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"  # pragma: allowlist secret
EMAIL = "paige.every@example.com"
WIDTHS = (1366, 390)
BLOCKING_IMPACTS = ("serious", "critical")

# Elements wider than the screen, or starting left of it, that no ancestor short of
# <body> clips or scrolls: what makes a page scroll sideways (or cuts it off).
_OVERFLOWING = """
() => {
  const width = document.documentElement.clientWidth;
  const clips = (el) => {
    const style = getComputedStyle(el);
    return style.overflowX !== "visible" || style.clipPath !== "none" || style.clip !== "auto";
  };
  // The box an element is laid out in: an absolutely positioned one escapes every
  // unpositioned ancestor, and so escapes their scrolling too (a visually hidden label
  // in a table that scrolls in an unpositioned box still widens the page).
  const container = (el) => {
    const position = getComputedStyle(el).position;
    let up = el.parentElement;
    if (position === "absolute" || position === "fixed") {
      while (up && up !== document.body) {
        const style = getComputedStyle(up);
        const holds = style.transform !== "none" || style.contain.includes("paint")
          || (position === "absolute" && style.position !== "static");
        if (holds) break;
        up = up.parentElement;
      }
    }
    return up && up !== document.body ? up : null;
  };
  const scrollsOrClipped = (el) => {
    for (let up = container(el); up; up = container(up)) {
      if (clips(up)) return true;
    }
    return false;
  };
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    for (const cls of el.classList) text += "." + cls;
    for (const attr of el.attributes) {
      if (attr.name.startsWith("data-")) text += `[${attr.name}]`;
    }
    return text;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;  // (a wide row of no height still widens the page)
    if (box.right <= width + 1 && box.left >= -1) continue;
    if (!scrollsOrClipped(el)) wide.push(el);
  }
  // The outermost offender is the one to fix: drop those nested in another.
  return wide
    .filter((el) => !wide.some((other) => other !== el && other.contains(el)))
    .slice(0, 8)
    .map((el) => {
      const box = el.getBoundingClientRect();
      const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      const where = el.parentElement === document.body ? "" : ` in ${name(el.parentElement)}`;
      const span = `${Math.round(box.left)}..${Math.round(box.right)} px`;
      return `${name(el)}${where} spans ${span} "${text}"`;
    });
}
"""

# Every rule in the light theme; the dark one changes only colours, so only contrast
# is asked again there.
_AXE_RUN = """
async ([impacts, rules]) => {
  const options = { resultTypes: ["violations"] };
  if (rules.length) options.runOnly = { type: "rule", values: rules };
  const results = await axe.run(document, options);
  return results.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
      v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(", ") +
      (v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : ""));
}
"""
AXE_RULES = {"light": [], "dark": ["color-contrast"]}


@dataclass(frozen=True)
class Visit:
    """How to reach one page: an address, or steps (a form to post) that end on it."""

    name: str
    path: str
    steps: Callable[..., None] | None = None
    status: int = 200


def _forgot_sent(page, base: str) -> None:
    page.goto(f"{base}/accounts/password/forgot/")
    page.get_by_label("Email").fill("nobody.here@example.com")
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your email").wait_for()


def _csrf_refused(page, base: str) -> None:
    """A form posted with a stale CSRF token (a tab left open across a log-in elsewhere)
    gets the site's 403 page. (With DEBUG on, as here, an unknown address gets Django's
    technical 404 instead of 404.html; the 403 page shows the same error frame,
    templates/error_base.html.)"""
    page.goto(f"{base}/accounts/login/")
    with page.expect_navigation():
        page.evaluate(
            """() => {
              const form = document.querySelector("form[method=post]");
              form.querySelector("[name=csrfmiddlewaretoken]").value = "stale".repeat(7);
              form.submit();
            }"""
        )


def _menus_open(page, base: str) -> None:
    """The site frame with its menus open: the phone's menu, then the account menu (when
    logged in; logged out the phone's menu holds Log in and Sign up)."""
    page.goto(f"{base}/accounts/")
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()
    account = page.locator(".account-menu summary")
    if account.count():  # logged in
        account.click()
        page.locator(".account-menu-panel").wait_for()


LOGGED_OUT = [
    Visit("home", "/"),
    Visit("markets", "/markets/"),
    Visit("coin", "/markets/bitcoin/"),
    Visit("coin-small-price", "/markets/dogecoin/"),
    Visit("signup", "/accounts/signup/"),
    Visit("login", "/accounts/login/"),
    Visit("verify", "/accounts/verify/"),
    Visit("verify-link", "/accounts/verify/not-a-real-token/"),
    Visit("password-forgot", "/accounts/password/forgot/"),
    Visit("password-forgot-sent", "", _forgot_sent),
    Visit("password-reset", "{reset_path}"),
    Visit("password-reset-invalid", "/accounts/password/reset/not-a-real-token/", status=400),
    Visit("wallet-login", "/wallet/login/"),
    Visit("dev-outbox", "/dev/outbox/"),
    Visit("error-403", "", _csrf_refused, status=403),
    Visit("menus-open", "", _menus_open),
]

LOGGED_IN = [
    Visit("home", "/"),
    Visit("markets", "/markets/"),
    Visit("coin", "/markets/bitcoin/"),
    Visit("trade", "/trade/"),
    Visit("trade-coin", "/trade/?coin=dogecoin"),
    Visit("orders", "/trade/orders/"),
    Visit("transactions", "/trade/transactions/"),
    Visit("portfolio", "/portfolio/"),
    Visit("wallet", "/wallet/"),
    Visit("account", "/accounts/"),
    Visit("error-403", "", _csrf_refused, status=403),
    Visit("menus-open", "", _menus_open),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator:
    # One proxy hop trusted, so each browser context can name its own client address in
    # X-Forwarded-For: the forgot-password form (3 a minute per address) is posted
    # once per width and context here without reaching the limit that guards it.
    with asgi_server(
        tmp_path_factory.mktemp("every_page"), REDIS_URL=None, TRUSTED_PROXY_COUNT="1"
    ) as live:
        yield live


_addresses = iter(range(1, 250))


def _client_address() -> dict[str, str]:
    return {"X-Forwarded-For": f"127.0.9.{next(_addresses)}"}


def _api_post(page, base: str, path: str, body: dict) -> dict:
    """POST to the API with the page's session, retried while the price warms up."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token, "Referer": f"{base}/"}
    deadline = time.monotonic() + 20
    while True:
        response = page.request.post(f"{base}{path}", data=body, headers=headers)
        if response.ok or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.ok, f"{path} {body}: {response.status} {response.text()}"
    return response.json()


def _outbox_link(page, base: str, pattern: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.goto(f"{base}/dev/outbox/")
        found = re.search(pattern, page.locator("main").inner_text())
        if found:
            return found.group(0)
        time.sleep(0.5)
    raise AssertionError(f"no {pattern} in the dev outbox")


@pytest.fixture(scope="module")
def trader(server, browser) -> dict:
    """A verified trader with history: filled buys and a sell in three coins of very
    different prices, an open limit order, a cancelled one; and a password-reset link."""
    base = server.url
    context = browser.new_context(extra_http_headers=_client_address())
    page = context.new_page()
    sign_up_and_verify(page, base, email=EMAIL, name="Paige Everypage", password=PASSWORD)
    market = {"side": "buy", "type": "market"}
    _api_post(page, base, "/api/orders", {**market, "coin": "bitcoin", "quantity": "0.01"})
    _api_post(page, base, "/api/orders", {**market, "coin": "ethereum", "quote_amount": "750"})
    _api_post(page, base, "/api/orders", {**market, "coin": "dogecoin", "quantity": "2500.5"})
    sell = {"side": "sell", "type": "market", "coin": "dogecoin", "quantity": "1000"}
    _api_post(page, base, "/api/orders", sell)
    limit = {"side": "buy", "type": "limit", "coin": "bitcoin", "quantity": "0.02"}
    _api_post(page, base, "/api/orders", {**limit, "limit_price": "1000"})
    cancelled = _api_post(
        page,
        base,
        "/api/orders",
        {
            "side": "buy",
            "type": "limit",
            "coin": "ethereum",
            "quantity": "0.5",
            "limit_price": "100",
        },
    )
    _api_post(page, base, f"/api/orders/{cancelled['id']}/cancel", {})
    assert Decimal(cancelled["quantity"]) == Decimal("0.5")
    state = context.storage_state()

    # A reset link for the logged-out pages, asked for from a fresh (logged-out) context.
    context.close()
    context = browser.new_context(extra_http_headers=_client_address())
    page = context.new_page()
    page.goto(f"{base}/accounts/password/forgot/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    reset_url = _outbox_link(page, base, r"https?://\S+/accounts/password/reset/[^\s/]+/")
    context.close()
    return {"storage_state": state, "reset_path": re.sub(r"^https?://[^/]+", "", reset_url)}


def _open(
    browser, base: str, visit: Visit, width: int, trader: dict, *, logged_in: bool, **options
):
    context = browser.new_context(
        viewport={"width": width, "height": 900 if width > 800 else 844},
        storage_state=trader["storage_state"] if logged_in else None,
        extra_http_headers=_client_address(),
        **options,
    )
    page = context.new_page()
    problems: list[str] = []

    def console(message) -> None:
        at = message.location.get("url", "")
        # The browser logs an error page's own status ("Failed to load resource: ...
        # 404"): that answer is the page under test, not a problem on it.
        if message.type == "error" and not (visit.status != 200 and at == page.url):
            problems.append(f"console: {message.text} ({at})")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error.stack or error}"))
    page.add_init_script(_CSP_LISTENER)
    if visit.steps is not None:
        visit.steps(page, base)
    else:
        path = visit.path.format(reset_path=trader["reset_path"])
        response = page.goto(f"{base}{path}")
        assert response is not None
        assert response.status == visit.status, f"{path} answered {response.status}"
        if logged_in:
            assert "/accounts/login/" not in page.url, f"{path} sent a logged-in trader to log in"
    # A page that polls never goes idle: what it shows after 5 s is what is checked.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=5_000)
    page.wait_for_timeout(300)  # charts and live values settle
    return context, page, problems


def _check_page(browser, server, trader, visit: Visit, width: int, *, logged_in: bool) -> None:
    base = server.url
    label = f"{'in' if logged_in else 'out'}-{visit.name}-{width}"
    failures: list[str] = []

    # The page as a visitor gets it, under the site's CSP.
    context, page, problems = _open(browser, base, visit, width, trader, logged_in=logged_in)
    try:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        inner_width = page.evaluate("window.innerWidth")
        if scroll_width > inner_width:
            failures.append(
                f"scrolls sideways: the page is {scroll_width} px wide in {inner_width}"
            )
        failures.extend(f"too wide: {found}" for found in page.evaluate(_OVERFLOWING))
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"{label}.png"), full_page=True)
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=str(RESULTS / f"{label}-dark.png"), full_page=True)
        csp = page.evaluate("window.__cspViolations || []")
        failures.extend(problems)
        failures.extend(f"CSP: {violation}" for violation in csp)
    finally:
        context.close()

    # axe, injected from node_modules: the site's CSP would refuse the injected script,
    # so this run alone bypasses it (the run above holds the page to its CSP).
    assert AXE.exists(), f"{AXE} is missing: `make assets` (npm ci) installs axe-core"
    context, page, _ = _open(
        browser, base, visit, width, trader, logged_in=logged_in, bypass_csp=True
    )
    try:
        page.add_script_tag(path=str(AXE))
        for scheme, rules in AXE_RULES.items():
            page.emulate_media(color_scheme=scheme)
            found = page.evaluate(_AXE_RUN, [list(BLOCKING_IMPACTS), rules])
            failures.extend(f"axe ({scheme}): {violation}" for violation in found)
    finally:
        context.close()

    assert not failures, f"{label}:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("visit", LOGGED_OUT, ids=lambda visit: visit.name)
def test_logged_out_page(browser, server, trader, visit: Visit, width: int) -> None:
    _check_page(browser, server, trader, visit, width, logged_in=False)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("visit", LOGGED_IN, ids=lambda visit: visit.name)
def test_logged_in_page(browser, server, trader, visit: Visit, width: int) -> None:
    _check_page(browser, server, trader, visit, width, logged_in=True)


def test_the_width_check_names_what_overflows(browser, server) -> None:
    """The overflow check itself: a too-wide table is caught, the same table inside
    .table-scroll is not (it scrolls in its own box), a label that escapes a box is."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/accounts/login/")
        wide = "<table><tr>" + "<td>$1,234,567.89</td>" * 12 + "</tr></table>"
        page.evaluate("(html) => { document.querySelector('main').innerHTML = html; }", wide)
        assert page.evaluate(_OVERFLOWING)
        assert page.evaluate("document.documentElement.scrollWidth") > 390

        page.evaluate(
            "(html) => { document.querySelector('main').innerHTML = html; }",
            f'<div class="table-scroll">{wide}</div>',
        )
        assert page.evaluate(_OVERFLOWING) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # A visually hidden label far right in a table escapes a scrolling box that is
        # not positioned (its containing block is the page), and is caught.
        label = '<span class="visually-hidden">(in USD)</span>'
        hidden = "<table><tr>" + "<td>$1,234,567.89</td>" * 11 + f"<th>{label}</th></tr></table>"
        page.evaluate(
            "(html) => { document.querySelector('main').innerHTML = html; }",
            f'<div class="unpositioned-scroll">{hidden}</div>',
        )
        page.add_style_tag(content=".unpositioned-scroll { overflow-x: auto; }")
        assert "span.visually-hidden in th" in " ".join(page.evaluate(_OVERFLOWING))
    finally:
        context.close()
