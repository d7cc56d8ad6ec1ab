"""Browser: a wallet (an EIP-1193 provider injected before the page loads, signing with
a ganache test key and forwarding everything else to a local EVM) connects, links
with Sign-In with Ethereum, sees gas, sends a transfer and finds it confirmed."""

from __future__ import annotations

import re

import pytest
import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from playwright.sync_api import expect

from chains.local_evm import ACCOUNTS, ganache
from tests.e2e.conftest import screenshot, sign_up_and_verify
from tests.servers import asgi_server

pytestmark = pytest.mark.e2e
ADDRESS, KEY = ACCOUNTS[0]
RECEIVER, _ = ACCOUNTS[1]

PROVIDER = """
(() => {
  const listeners = {};
  const provider = {
    isMetaMask: true,
    on(event, handler) { (listeners[event] ||= []).push(handler); },
    removeListener() {},
    async request({ method, params }) {
      const answer = await window.__walletRpc(method, params || []);
      if (answer.error) {
        throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
      }
      return answer.result;
    },
  };
  window.ethereum = provider;
})();
"""


@pytest.fixture(scope="module")
def evm():
    with ganache() as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory, evm):
    with asgi_server(tmp_path_factory.mktemp("chains"), REDIS_URL=None, CHAIN_RPC_1337=evm) as live:
        yield live


def wallet_rpc(evm_url: str):
    def handle(method: str, params: list) -> dict:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [ADDRESS.lower()]}
        if method == "personal_sign":
            signed = Account.sign_message(encode_defunct(hexstr=params[0]), private_key=KEY)
            return {"result": "0x" + signed.signature.hex().removeprefix("0x")}
        if method == "wallet_switchEthereumChain":
            return (
                {"result": None}
                if params[0]["chainId"] == "0x539"
                else {"error": {"code": 4902, "message": "Unrecognized chain"}}
            )
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        return requests.post(evm_url, json=body, timeout=10).json()

    return handle


def test_connect_link_gas_send_confirmed(server, evm, watched_page):
    page, base = watched_page, server.url
    page.expose_function("__walletRpc", wallet_rpc(evm))
    page.add_init_script(PROVIDER)

    sign_up_and_verify(
        page,
        base,
        email="wallet@example.com",
        name="Vitalik Tester",
        password="correct horse battery",
    )

    page.goto(f"{base}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("[data-wallet-address]")).to_have_text(ADDRESS.lower())
    expect(page.locator("[data-wallet-chain]")).to_contain_text("Local dev chain (1337)")
    expect(page.locator("[data-wallet-balance]")).to_contain_text("ETH")
    expect(page.locator("[data-gas-transfer]")).to_contain_text("ETH")

    page.get_by_role("button", name="Link to my account").click()
    expect(page.locator("[data-wallet-message]")).to_contain_text("Linked")
    expect(page.locator("[data-wallet-linked]")).to_contain_text(ADDRESS)
    screenshot(page, "chains-1-linked")

    page.get_by_label("To address").fill(RECEIVER)
    page.get_by_label(re.compile("Amount")).fill("0.01")
    page.get_by_role("button", name="Review and send").click()
    expect(page.locator("[data-wallet-message]")).to_contain_text("Sent: 0x")
    row = page.locator("[data-history] tbody tr").first
    expect(row).to_contain_text("confirmed")
    expect(row).to_contain_text("21000")
    screenshot(page, "chains-2-sent")

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_without_a_wallet_the_page_says_so(server, watched_page):
    page = watched_page
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Email").fill("wallet@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/wallet/")

    expect(page.locator("[data-wallet-message]")).to_contain_text("No browser wallet found")
    expect(page.get_by_role("button", name="Connect wallet")).to_be_disabled()


def test_log_in_with_the_linked_wallet(server, evm, browser):
    # A fresh browser context: logged out, the same wallet as in the first test.
    context = browser.new_context()
    page = context.new_page()
    page.expose_function("__walletRpc", wallet_rpc(evm))
    page.add_init_script(PROVIDER)

    page.goto(f"{server.url}/accounts/login/")
    page.get_by_role("link", name="Log in with a wallet").click()
    page.get_by_role("button", name="Connect and sign in").click()
    page.wait_for_url("**/markets/")
    expect(page.locator(".account-menu summary")).to_have_text("Vitalik")
    screenshot(page, "chains-3-wallet-login")
    context.close()


def test_a_declined_signature_and_an_unknown_chain_are_handled(server, evm, browser):
    """4001 from the wallet is a message on the page; 4902 leads to wallet_addEthereumChain."""
    added: list[dict] = []
    forward = wallet_rpc(evm)

    def picky_wallet(method: str, params: list) -> dict:
        if method == "personal_sign":
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        if method == "wallet_addEthereumChain":
            added.append(params[0])
            return {"result": None}
        return forward(method, params)

    context = browser.new_context()
    page = context.new_page()
    page.expose_function("__walletRpc", picky_wallet)
    page.add_init_script(PROVIDER)
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Email").fill("wallet@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("[data-wallet-address]")).to_have_text(ADDRESS.lower())

    page.get_by_role("button", name="Link to my account").click()
    expect(page.locator("[data-wallet-message]")).to_have_text(
        "You declined the request in your wallet."
    )

    page.get_by_label("Chain").select_option("137")
    page.get_by_role("button", name="Switch chain").click()
    expect(page.locator("[data-wallet-message]")).to_have_text("Added Polygon to your wallet.")
    assert added and added[0]["chainId"] == "0x89"
    assert added[0]["nativeCurrency"] == {"name": "POL", "symbol": "POL", "decimals": 18}
    assert added[0]["rpcUrls"] == ["https://polygon-rpc.com"]
    context.close()
