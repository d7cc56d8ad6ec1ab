"""Browser: the wallet pages as a trader sees them, on a laptop (1366 px) and a phone
(390 px): gas on every configured chain before any wallet connects, disabled controls
that look disabled until one does, links that are links, errors announced, nothing
scrolling sideways, no console error or CSP violation, axe clean.

The local dev chain (1337) is a ganache on loopback; the other chains have no RPC URL
here, so the page must say so of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_account import Account
from playwright.sync_api import expect

from chains.local_evm import ganache
from tests.e2e.conftest import screenshot, sign_up_and_verify
from tests.e2e.test_chains import (
    ADDRESS,
    EMAIL,
    KEY,
    PASSWORD,
    PROVIDER,
    RECEIVER,
    link_through_the_api,
    log_in,
    wallet_rpc,
)
from tests.servers import asgi_server

# Starting ganache and a server and signing up through the pages takes most of a minute on
# a busy machine, and the first test pays for it.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
WIDTHS = (1366, 390)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
UNCONFIGURED = ("Ethereum", "Polygon", "Arbitrum One", "OP Mainnet", "Base", "BNB Chain")

# The computed look of an element, and WCAG's contrast ratio of its text on its background.
_LOOK = """
(el) => {
  const style = getComputedStyle(el);
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (c) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [luminance(rgb(style.color)), luminance(rgb(style.backgroundColor))];
  return {
    cursor: style.cursor,
    color: style.color,
    background: style.backgroundColor,
    border: style.borderTopStyle,
    opacity: style.opacity,
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}
"""

_AXE_RUN = """
async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
"""


@pytest.fixture(scope="module")
def evm():
    with ganache() as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory, evm):
    with asgi_server(tmp_path_factory.mktemp("wallet"), REDIS_URL=None, CHAIN_RPC_1337=evm) as live:
        yield live


@pytest.fixture(scope="module")
def account(server, browser) -> str:
    context = browser.new_context()
    sign_up_and_verify(
        context.new_page(), server.url, email=EMAIL, name="Vitalik Tester", password=PASSWORD
    )
    context.close()
    return EMAIL


def at_width(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    )


def with_axe(page) -> None:
    """axe-core from node_modules as an init script: those run outside the page's CSP,
    so the page itself is held to its policy while axe checks it."""
    page.add_init_script(path=str(AXE))


def axe_clean(page) -> None:
    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate(_AXE_RUN) == [], scheme


def clean(page) -> None:
    assert page.collect_csp() == []
    assert page.problems.all() == []


def looks_disabled(page, button) -> None:
    """In both themes: the not-allowed pointer, a dashed edge, no accent fill, and words
    still readable (4.5:1 on an opaque background, nothing faded)."""
    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        look = button.evaluate(_LOOK)
        accent = page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--accent')"
        )
        assert look["cursor"] == "not-allowed", (scheme, look)
        assert look["border"] == "dashed", (scheme, look)
        assert look["background"] != _rgb(accent.strip()), (scheme, look)
        assert look["background"].startswith("rgb("), (scheme, look)  # opaque
        assert look["opacity"] == "1" and look["contrast"] >= 4.5, (scheme, look)


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def with_wallet(page, evm: str, rpc=None) -> None:
    page.expose_function("__walletRpc", rpc or wallet_rpc(evm))
    page.add_init_script(PROVIDER)


@pytest.mark.parametrize("width", WIDTHS)
def test_gas_shows_before_any_wallet_and_disabled_buttons_look_it(
    server, account, watched_page, width
):
    page = watched_page
    at_width(page, width)
    with_axe(page)
    log_in(page, server.url)
    page.goto(f"{server.url}/markets/")  # a price listener, so ETH has a price to quote in $
    page.goto(f"{server.url}/wallet/")

    # Gas for the configured chain, with no wallet at all: tiers in gwei, a transfer in $.
    tile = page.locator('[data-gas-chain="1337"]')
    expect(tile).to_contain_text("Local dev chain")
    for tier in ("slow", "standard", "fast"):
        expect(tile.locator(f'[data-gas-tier="{tier}"]')).to_have_text(
            re.compile(r"^[\d.,]+ gwei$")
        )
    expect(tile.locator("[data-gas-base]")).to_have_text(re.compile(r"^[\d.,]+ gwei$"))
    expect(tile.locator("[data-gas-usd]")).to_have_text(re.compile(r"^≈ \$\d[\d,]*\.\d+$"))
    expect(tile.locator("[data-gas-native]")).to_have_text(re.compile(r"^0\.\d+ ETH$"))
    # The chains without a node are named, plainly.
    unconfigured = page.locator("[data-gas-unconfigured]")
    expect(unconfigured).to_contain_text("Not configured on this server")
    for name in UNCONFIGURED:
        expect(unconfigured).to_contain_text(name)
    expect(page.locator("[data-gas-chain] h3")).to_have_text(["Local dev chain"])

    # No wallet: said with a real link to MetaMask, and every wallet button disabled.
    missing = page.locator("[data-wallet-missing]")
    expect(missing).to_be_visible()
    metamask = missing.get_by_role("link", name="Install MetaMask")
    expect(metamask).to_have_attribute("href", re.compile(r"^https://metamask\.io/"))
    expect(metamask).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(metamask).to_have_attribute("target", "_blank")
    for name in ("Connect wallet", "Link to my account", "Switch chain", "Review and send"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_disabled()
        looks_disabled(page, button)

    no_sideways_scroll(page)
    screenshot(page, f"wallet-no-wallet-{width}")
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"wallet-no-wallet-{width}-dark")
    axe_clean(page)
    clean(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_buttons_enable_when_a_wallet_connects(server, evm, account, watched_page, width):
    page = watched_page
    at_width(page, width)
    with_axe(page)
    with_wallet(page, evm)
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")

    connect = page.get_by_role("button", name="Connect wallet")
    expect(connect).to_be_enabled()
    assert connect.evaluate(_LOOK)["cursor"] == "pointer"
    for name in ("Link to my account", "Switch chain", "Review and send"):
        expect(page.get_by_role("button", name=name)).to_be_disabled()

    connect.click()
    expect(page.locator("[data-wallet-address]")).to_have_text(ADDRESS.lower())
    for name in ("Link to my account", "Switch chain", "Review and send"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_enabled()
        look = button.evaluate(_LOOK)
        assert look["cursor"] == "pointer" and look["border"] == "solid", (name, look)
    expect(page.locator("[data-wallet-hint]")).to_be_hidden()
    expect(page.locator('[data-gas-chain="1337"] [data-gas-yours]')).to_be_visible()
    expect(page.locator("[data-wallet-balance]")).to_have_text(re.compile(r"^[\d,]+(\.\d+)? ETH$"))

    no_sideways_scroll(page)
    screenshot(page, f"wallet-connected-{width}")
    axe_clean(page)
    clean(page)


def test_send_errors_are_announced_beside_their_fields(server, evm, account, watched_page):
    link_through_the_api(server.url, ADDRESS, KEY)
    page = watched_page
    at_width(page, 390)
    with_wallet(page, evm)
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.get_by_role("button", name="Review and send")).to_be_enabled()

    page.get_by_label("To address").fill("0x1234")
    page.get_by_label(re.compile("Amount")).fill("-1")
    page.get_by_role("button", name="Review and send").click()

    to_error = page.locator("#send-to-error")
    expect(to_error).to_have_text("Enter an address: 0x and 40 hex digits.")
    expect(to_error).to_have_attribute("role", "alert")
    expect(page.get_by_label("To address")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#send-amount-error")).to_contain_text("Enter a positive amount of ETH")
    expect(page.get_by_label("To address")).to_be_focused()

    page.get_by_label("To address").fill(RECEIVER)
    page.get_by_label(re.compile("Amount")).fill("0.001")
    page.get_by_role("button", name="Review and send").click()
    expect(page.locator("[data-wallet-status]")).to_contain_text("Sent: 0x")
    expect(to_error).to_be_empty()
    expect(page.get_by_label("To address")).not_to_have_attribute("aria-invalid", re.compile(".*"))
    row = page.locator("[data-history] tbody tr").first
    expect(row).to_contain_text("0.001 ETH")
    expect(row).to_contain_text("confirmed")
    expect(row).to_contain_text("21,000 gas")
    expect(row.locator('td[data-label="Fee"]')).to_contain_text(re.compile(r"0\.\d+ ETH"))

    no_sideways_scroll(page)
    screenshot(page, "wallet-sent-390")
    clean(page)


def test_a_refusal_is_an_alert(server, evm, account, watched_page):
    forward = wallet_rpc(evm)

    def declining(method: str, params: list) -> dict:
        if method == "eth_requestAccounts":
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        return forward(method, params)

    page = watched_page
    with_wallet(page, evm, declining)
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()

    alert = page.get_by_role("alert").filter(has_text="You declined")
    expect(alert).to_have_text("You declined the request in your wallet.")
    expect(page.locator("[data-wallet-status]")).to_be_hidden()
    expect(page.get_by_role("button", name="Connect wallet")).to_be_enabled()
    clean(page)


def test_sending_from_an_unlinked_address_is_refused_before_the_wallet_is_asked(
    server, evm, account, watched_page
):
    stranger = Account.create()
    asked: list[str] = []
    forward = wallet_rpc(evm, stranger.address, stranger.key.hex())

    def recording(method: str, params: list) -> dict:
        asked.append(method)
        return forward(method, params)

    page = watched_page
    with_wallet(page, evm, recording)
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("[data-send-hint]")).to_contain_text("Link this address")

    page.get_by_label("To address").fill(RECEIVER)
    page.get_by_label(re.compile("Amount")).fill("0.001")
    page.get_by_role("button", name="Review and send").click()

    expect(page.get_by_role("alert").filter(has_text="Link this address")).to_be_visible()
    assert "eth_sendTransaction" not in asked
    clean(page)


def test_linked_addresses_link_to_their_explorer(server, account, watched_page):
    spare = Account.create()
    link_through_the_api(server.url, spare.address, spare.key.hex(), chain_id=1)
    page = watched_page
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")

    item = page.locator(f'[data-linked-address="{spare.address}"]')
    link = item.get_by_role("link", name=spare.address)
    expect(link).to_have_attribute("href", f"https://etherscan.io/address/{spare.address}")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(link).to_have_attribute("target", "_blank")
    expect(item).to_contain_text("Ethereum · linked")
    expect(item.locator("time[data-local]")).to_have_count(1)
    clean(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_wallet_login_without_a_wallet(server, watched_page, width):
    page = watched_page
    at_width(page, width)
    with_axe(page)
    page.goto(f"{server.url}/wallet/login/")

    button = page.get_by_role("button", name="Connect and sign in")
    expect(page.locator("[data-wallet-missing]")).to_be_visible()
    expect(button).to_be_disabled()
    looks_disabled(page, button)
    metamask = page.get_by_role("link", name="Install MetaMask")
    expect(metamask).to_have_attribute("href", re.compile(r"^https://metamask\.io/"))
    expect(metamask).to_have_attribute("rel", re.compile(r"\bnoopener\b"))

    no_sideways_scroll(page)
    screenshot(page, f"wallet-login-{width}")
    axe_clean(page)
    clean(page)
