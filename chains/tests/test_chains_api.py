"""Chains, gas and estimates against a real local EVM (ganache on loopback)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from chains.local_evm import ACCOUNTS
from chains.rpc import RpcClient
from markets.tests.factories import PriceTickFactory

pytestmark = pytest.mark.django_db
SENDER, _ = ACCOUNTS[0]
RECEIVER, _ = ACCOUNTS[1]


def test_chains_lists_the_registry(client, settings):
    settings.CHAIN_RPC_URLS = {1: "https://rpc.example"}

    chains = client.get("/api/chains").json()

    assert [c["chain_id"] for c in chains] == [1, 137, 42161, 10, 8453, 56, 1337]
    ethereum = chains[0]
    assert ethereum == {
        "chain_id": 1,
        "name": "Ethereum",
        "native_symbol": "ETH",
        "native_decimals": 18,
        "explorer_url": "https://etherscan.io",
        "eip1559": True,
        "rpc_configured": True,
    }
    assert chains[5]["eip1559"] is False  # BNB Chain prices gas the legacy way
    assert chains[1]["rpc_configured"] is False


def test_the_rpc_client_reads_the_local_chain(local_chain):
    client = RpcClient(local_chain)

    assert client.chain_id() == 1337
    assert client.balance(SENDER) > 10**20
    history = client.fee_history(5, [10, 50, 90])
    assert len(history["baseFeePerGas"]) >= 2


def test_gas_reports_fees_and_the_transfer_cost_in_eth_and_usd(client, local_chain):
    PriceTickFactory.create(coin_id="ethereum", price=Decimal("3000"))

    body = client.get("/api/chains/1337/gas").json()

    assert set(body) == {
        "chain_id",
        "base_fee_gwei",
        "priority_fee_gwei",
        "gas_price_gwei",
        "transfer_cost",
    }
    assert body["chain_id"] == 1337
    base = Decimal(body["base_fee_gwei"])
    tips = {k: Decimal(v) for k, v in body["priority_fee_gwei"].items()}
    assert base > 0 and tips["standard"] > 0
    expected = (base + tips["standard"]) * 21000 / Decimal(10**9)
    assert Decimal(body["transfer_cost"]["native"]) == pytest.approx(expected)
    assert Decimal(body["transfer_cost"]["usd"]) == pytest.approx(
        expected * 3000, abs=Decimal("0.01")
    )


def test_estimate_of_a_plain_transfer_is_21000_gas(client, local_chain):
    response = client.post(
        "/api/chains/1337/estimate",
        {"from": SENDER, "to": RECEIVER, "value_wei": str(10**15)},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["gas_limit"] == 21000
    assert int(body["max_fee_per_gas_wei"]) > int(body["max_priority_fee_per_gas_wei"]) > 0
    assert Decimal(body["cost_native"]) > 0
    assert re.fullmatch(r"0\.\d*[1-9]", body["cost_native"])  # no trailing zeros, no exponent


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to": "0x123"}, "to"),
        ({"from": "not-an-address"}, "from"),
        ({"value_wei": "-1"}, "value_wei"),
        ({"value_wei": "1.5"}, "value_wei"),
        ({"data": "0xZZ"}, "data"),
    ],
)
def test_estimate_rejects_bad_input_naming_the_field(client, local_chain, changes, field):
    body = {"from": SENDER, "to": RECEIVER, "value_wei": "1", **changes}

    response = client.post("/api/chains/1337/estimate", body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_transaction_the_node_refuses_is_a_400(client, settings, httpserver):
    # ganache estimates even unaffordable transfers; a node that refuses answers a
    # JSON-RPC error, as geth does for "insufficient funds".
    httpserver.expect_request("/").respond_with_json(
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "insufficient funds"}}
    )
    settings.CHAIN_RPC_URLS = {1: httpserver.url_for("/")}

    response = client.post(
        "/api/chains/1/estimate",
        {"from": SENDER, "to": RECEIVER, "value_wei": str(10**30)},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "estimate_failed"
    assert "insufficient funds" in response.json()["detail"]


def test_a_chain_without_rpc_is_503_and_an_unknown_chain_404(client, settings):
    settings.CHAIN_RPC_URLS = {}

    response = client.get("/api/chains/1/gas")
    assert response.status_code == 503
    assert response.json()["code"] == "rpc_not_configured"
    assert client.get("/api/chains/999/gas").status_code == 404


def test_an_unreachable_node_is_a_502_not_a_500(client, settings):
    settings.CHAIN_RPC_URLS = {1: "http://127.0.0.1:9"}

    response = client.get("/api/chains/1/gas")

    assert response.status_code == 502
    assert response.json()["code"] == "chain_unavailable"


def test_gas_is_cached_per_chain(client, local_chain, settings, monkeypatch):
    calls = []
    original = RpcClient.call

    def counting(self, method, params=None):
        calls.append(method)
        return original(self, method, params)

    monkeypatch.setattr(RpcClient, "call", counting)
    client.get("/api/chains/1337/gas")
    first = len(calls)
    client.get("/api/chains/1337/gas")

    assert first > 0 and len(calls) == first


def test_a_cached_gas_report_asks_neither_the_node_nor_the_database(
    client, local_chain, django_assert_num_queries
):
    first = client.get("/api/chains/1337/gas").json()

    with django_assert_num_queries(0):
        again = client.get("/api/chains/1337/gas")

    assert again.json() == first


def test_no_gas_cache_asks_the_node_every_time(client, local_chain, settings, monkeypatch):
    settings.CHAIN_GAS_CACHE_SECONDS = 0
    calls = []
    original = RpcClient.call

    def counting(self, method, params=None):
        calls.append(method)
        return original(self, method, params)

    monkeypatch.setattr(RpcClient, "call", counting)
    client.get("/api/chains/1337/gas")
    first = len(calls)
    client.get("/api/chains/1337/gas")

    assert first > 0 and len(calls) == 2 * first
