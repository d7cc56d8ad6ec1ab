"""The wallet pages as the server writes them: a gas tile for each chain this server
reaches and a plain sentence for the others (their RPC URL never in the page), links
that are links, and disabled buttons until a script finds a wallet."""

from __future__ import annotations

import re

import pytest

from chains.models import LinkedWallet

pytestmark = pytest.mark.django_db

# An RPC URL may carry a provider's key: the page may say a chain is reachable, never how.
KEYED_RPC_URL = "https://rpc.example/v2/not-for-the-page"
SPARE = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"


@pytest.fixture
def wallet_page(client, user, settings):
    settings.CHAIN_RPC_URLS = {1337: KEYED_RPC_URL}
    client.force_login(user)

    def get() -> str:
        response = client.get("/wallet/")
        assert response.status_code == 200
        return str(response.content.decode())

    return get


def test_gas_tiles_for_configured_chains_only_and_no_rpc_url(wallet_page):
    html = wallet_page()

    assert re.findall(r'data-gas-chain="(\d+)"', html) == ["1337"]
    assert "not-for-the-page" not in html and "rpc.example" not in html
    sentence = re.search(r"<p[^>]*data-gas-unconfigured[^>]*>(.*?)</p>", html, re.S)
    assert sentence is not None
    assert sentence.group(1).startswith("Not configured on this server")
    assert sentence.group(1).endswith(
        "Ethereum, Polygon, Arbitrum One, OP Mainnet, Base and BNB Chain."
    )


def test_without_any_node_every_chain_is_named_and_no_tile_is_drawn(client, user, settings):
    settings.CHAIN_RPC_URLS = {}
    client.force_login(user)
    html = client.get("/wallet/").content.decode()

    assert "data-gas-chain=" not in html
    assert "Local dev chain." in html  # the last of the list


def test_wallet_buttons_start_disabled(wallet_page):
    html = wallet_page()

    for name in ("wallet-connect", "wallet-link", "wallet-switch", "send-submit"):
        tag = re.search(rf"<button[^>]*data-{name}[^>]*>", html)
        assert tag is not None and " disabled" in tag.group(0), name


def test_linked_address_links_to_its_explorer(wallet_page, user):
    LinkedWallet.objects.create(user=user, address=SPARE, chain_id=1)
    LinkedWallet.objects.create(
        user=user, address="0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0", chain_id=1337
    )
    html = wallet_page()

    link = re.search(rf'<a [^>]*href="https://etherscan.io/address/{SPARE}"[^>]*>', html)
    assert link is not None
    assert 'rel="noopener noreferrer"' in link.group(0) and 'target="_blank"' in link.group(0)
    # The local chain has no explorer: its address is text, not a dead link.
    assert 'href="/address/' not in html
    assert "Local dev chain · linked <time" in html


@pytest.mark.parametrize("path", ["/wallet/", "/wallet/login/"])
def test_metamask_is_a_real_link(client, user, path):
    client.force_login(user)
    html = client.get(path).content.decode()

    link = re.search(r'<a href="https://metamask\.io/[^"]*"[^>]*>Install MetaMask</a>', html)
    assert link is not None
    assert 'rel="noopener noreferrer"' in link.group(0)
    assert re.search(r'role="alert"', html)
