"""Browser: a wallet (an EIP-1193 provider injected before the page loads, signing with
a ganache test key and forwarding everything else to a local EVM) connects, links
with Sign-In with Ethereum, sees gas, sends a transfer and finds it confirmed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from playwright.sync_api import expect

from chains.local_evm import ACCOUNTS, ganache
from chains.rpc import RpcClient
from tests.e2e.conftest import screenshot, sign_up_and_verify
from tests.servers import asgi_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]  # the first test starts ganache too
ADDRESS, KEY = ACCOUNTS[0]
RECEIVER, RECEIVER_KEY = ACCOUNTS[1]
EMAIL, PASSWORD = "wallet@example.com", "correct horse battery"

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


@pytest.fixture(scope="module")
def account(server, browser) -> str:
    """One verified account for this module, signed up through the pages, so each test
    can run on its own (``-k``) and in any order."""
    context = browser.new_context()
    sign_up_and_verify(
        context.new_page(), server.url, email=EMAIL, name="Vitalik Tester", password=PASSWORD
    )
    context.close()
    return EMAIL


def log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/markets/")


def link_through_the_api(base: str, address: str, key: str, chain_id: int = 1337) -> None:
    """Link an address to the account the way a script would: JWT, nonce, SIWE (signed
    on ``chain_id``, the chain the page then names and links to)."""
    session = requests.Session()
    login = session.post(
        f"{base}/api/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=10
    )
    session.headers["Authorization"] = f"Bearer {login.json()['access']}"
    nonce = session.post(f"{base}/api/wallets/nonce", timeout=10).json()["nonce"]
    host = base.removeprefix("http://")
    message = (
        f"{host} wants you to sign in with your Ethereum account:\n{address}\n\n"
        "Link this wallet to your CryptoVault account.\n\n"
        f"URI: {base}/wallet/\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n"
        f"Issued At: {datetime.now(UTC).isoformat()}"
    )
    signed = Account.sign_message(encode_defunct(text=message), private_key=key)
    signature = "0x" + signed.signature.hex().removeprefix("0x")
    response = session.post(
        f"{base}/api/wallets", json={"message": message, "signature": signature}, timeout=10
    )
    assert response.status_code in (200, 201), response.text


def wallet_rpc(evm_url: str, address: str = ADDRESS, key: str = KEY):
    def handle(method: str, params: list) -> dict:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [address.lower()]}
        if method == "personal_sign":
            signed = Account.sign_message(encode_defunct(hexstr=params[0]), private_key=key)
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


def test_connect_link_gas_send_confirmed(server, evm, account, watched_page):
    page, base = watched_page, server.url
    page.expose_function("__walletRpc", wallet_rpc(evm))
    page.add_init_script(PROVIDER)
    log_in(page, base)

    page.goto(f"{base}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("[data-wallet-address]")).to_have_text(ADDRESS.lower())
    expect(page.locator("[data-wallet-chain]")).to_contain_text("Local dev chain (1337)")
    expect(page.locator("[data-wallet-balance]")).to_contain_text("ETH")
    expect(page.locator('[data-gas-chain="1337"] [data-gas-native]')).to_contain_text("ETH")

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
    expect(row).to_contain_text("21,000 gas")
    screenshot(page, "chains-2-sent")

    assert page.collect_csp() == []
    assert page.problems.all() == []


def test_without_a_wallet_the_page_says_so(server, account, watched_page):
    page = watched_page
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")

    expect(page.locator("[data-wallet-message]")).to_contain_text("No browser wallet found")
    expect(page.get_by_role("button", name="Connect wallet")).to_be_disabled()


def test_log_in_with_the_linked_wallet(server, evm, account, browser):
    # A fresh browser context (logged out) with a wallet holding an address the
    # account linked through the API.
    link_through_the_api(server.url, RECEIVER, RECEIVER_KEY)
    context = browser.new_context()
    page = context.new_page()
    page.expose_function("__walletRpc", wallet_rpc(evm, RECEIVER, RECEIVER_KEY))
    page.add_init_script(PROVIDER)

    page.goto(f"{server.url}/accounts/login/")
    page.get_by_role("link", name="Log in with a wallet").click()
    page.get_by_role("button", name="Connect and sign in").click()
    page.wait_for_url("**/markets/")
    expect(page.locator(".account-menu summary")).to_have_text("Vitalik")
    screenshot(page, "chains-3-wallet-login")
    context.close()


def test_a_declined_signature_and_an_unknown_chain_are_handled(server, evm, account, browser):
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
    log_in(page, server.url)
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


def test_a_pending_transfer_settles_on_the_page_without_a_reload(server, evm, account, browser):
    link_through_the_api(server.url, ADDRESS, KEY)
    context = browser.new_context()
    page = context.new_page()
    page.expose_function("__walletRpc", wallet_rpc(evm))
    page.add_init_script(PROVIDER)
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.locator("[data-wallet-chain]")).to_contain_text("1337")

    node = RpcClient(evm)
    node.call("miner_stop")  # as on a real chain, the transfer waits for a block
    try:
        page.get_by_label("To address").fill(RECEIVER)
        page.get_by_label(re.compile("Amount")).fill("0.002")
        page.get_by_role("button", name="Review and send").click()
        expect(page.locator("[data-wallet-message]")).to_contain_text("Sent: 0x")
        sent = page.locator("[data-wallet-message]").inner_text().removeprefix("Sent: ")
        row = page.locator(f'[data-history] tr[data-hash="{sent.lower()}"]')
        expect(row).to_contain_text("pending")
        expect(row).to_contain_text("0.002 ETH")
    finally:
        node.call("miner_start")
    node.call("evm_mine")

    expect(row).to_contain_text("confirmed", timeout=15_000)
    context.close()


def test_unlink_an_address_from_the_page(server, account, browser):
    spare = Account.create()
    link_through_the_api(server.url, spare.address, spare.key.hex())
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server.url)
    page.goto(f"{server.url}/wallet/")
    linked = page.locator("[data-wallet-linked]")
    expect(linked).to_contain_text(spare.address)

    page.get_by_role("button", name=f"Unlink {spare.address}").click()

    expect(page.locator("[data-wallet-message]")).to_have_text(f"Unlinked {spare.address}.")
    expect(linked).not_to_contain_text(spare.address)
    page.reload()
    expect(page.locator("[data-wallet-linked]")).not_to_contain_text(spare.address)
    context.close()
