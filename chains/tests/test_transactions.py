"""Transactions really sent on the local EVM, recorded and followed to their receipts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory, api_for
from chains.local_evm import ACCOUNTS
from chains.models import LinkedWallet, WalletTransaction
from chains.rpc import RpcClient

pytestmark = pytest.mark.django_db
SENDER, _ = ACCOUNTS[0]
RECEIVER, _ = ACCOUNTS[1]


@pytest.fixture
def api(local_chain) -> APIClient:
    user = UserFactory.create(email="sender@example.com", name="S", unverified=True)
    LinkedWallet.objects.create(user=user, address=SENDER, chain_id=1337)
    return api_for(user)


def send(url: str, value: int = 10**15) -> str:
    # ganache signs for its unlocked deterministic accounts, as MetaMask would.
    return RpcClient(url).call(
        "eth_sendTransaction", [{"from": SENDER, "to": RECEIVER, "value": hex(value)}]
    )


def test_a_sent_transfer_is_recorded_and_confirmed_with_its_fee(api, local_chain):
    tx_hash = send(local_chain)

    response = api.post(
        "/api/wallets/transactions", {"chain_id": 1337, "hash": tx_hash}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["hash"] == tx_hash.lower()
    assert body["from_address"] == SENDER and body["to_address"] == RECEIVER
    assert body["value_wei"] == str(10**15)
    assert body["status"] == "confirmed"  # ganache mines at once
    assert body["gas_used"] == 21000
    assert int(body["fee_wei"]) > 0
    again = api.post(
        "/api/wallets/transactions", {"chain_id": 1337, "hash": tx_hash}, format="json"
    )
    assert again.status_code == 200
    assert [t["hash"] for t in api.get("/api/wallets/transactions").json()] == [tx_hash.lower()]


def test_pending_transactions_are_followed_by_the_command(api, local_chain):
    rpc = RpcClient(local_chain)
    rpc.call("miner_stop")
    try:
        tx_hash = send(local_chain)
        recorded = api.post(
            "/api/wallets/transactions", {"chain_id": 1337, "hash": tx_hash}, format="json"
        )
        assert recorded.json()["status"] == "pending"
    finally:
        rpc.call("miner_start")
    rpc.call("evm_mine")

    call_command("follow_wallet_transactions")

    tx = WalletTransaction.objects.get()
    assert tx.status == "confirmed" and tx.gas_used == 21000 and tx.block_number


def test_a_transaction_from_an_unlinked_address_is_refused(api, local_chain):
    tx_hash = RpcClient(local_chain).call(
        "eth_sendTransaction", [{"from": RECEIVER, "to": SENDER, "value": "0x1"}]
    )

    response = api.post(
        "/api/wallets/transactions", {"chain_id": 1337, "hash": tx_hash}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "wallet_not_linked"


def test_bad_hashes_and_unknown_chains(api):
    assert (
        api.post(
            "/api/wallets/transactions", {"chain_id": 1337, "hash": "0x12"}, format="json"
        ).json()["code"]
        == "invalid_hash"
    )
    unknown = api.post(
        "/api/wallets/transactions", {"chain_id": 1337, "hash": "0x" + "ab" * 32}, format="json"
    )
    assert unknown.json()["code"] == "unknown_transaction"
    assert (
        api.post(
            "/api/wallets/transactions", {"chain_id": 5, "hash": "0x" + "ab" * 32}, format="json"
        ).json()["code"]
        == "unknown_chain"
    )


def test_balances_of_a_linked_address(api, local_chain):
    rows = api.get(f"/api/wallets/{SENDER}/balances").json()

    assert [row["chain_id"] for row in rows] == [1337]
    assert int(rows[0]["balance_wei"]) > 0 and rows[0]["symbol"] == "ETH"
    assert api.get(f"/api/wallets/{RECEIVER}/balances").status_code == 404


def test_a_hash_recorded_meanwhile_is_returned_not_a_500(api, local_chain, monkeypatch):
    tx_hash = send(local_chain)
    user = User.objects.get(email="sender@example.com")
    original = RpcClient.transaction

    def racing(self, found_hash):
        # Another request (the page posting twice) records the hash during our lookup.
        WalletTransaction.objects.create(
            user=user,
            chain_id=1337,
            hash=found_hash.lower(),
            from_address=SENDER,
            to_address=RECEIVER,
            value_wei=10**15,
        )
        return original(self, found_hash)

    monkeypatch.setattr(RpcClient, "transaction", racing)

    response = api.post(
        "/api/wallets/transactions", {"chain_id": 1337, "hash": tx_hash}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["hash"] == tx_hash.lower()
    assert WalletTransaction.objects.count() == 1


def test_a_dead_node_is_asked_once_per_history_read(api, settings, monkeypatch):
    settings.CHAIN_RPC_URLS = {1337: "http://127.0.0.1:9"}  # nothing listens there
    user = User.objects.get(email="sender@example.com")
    for n in range(3):
        WalletTransaction.objects.create(
            user=user,
            chain_id=1337,
            hash=f"0x{n:064x}",
            from_address=SENDER,
            to_address=RECEIVER,
            value_wei=1,
        )
    calls = []
    original = RpcClient.call

    def counting(self, method, params=None):
        calls.append(method)
        return original(self, method, params)

    monkeypatch.setattr(RpcClient, "call", counting)

    rows = api.get("/api/wallets/transactions").json()

    assert [row["status"] for row in rows] == ["pending"] * 3
    assert calls == ["eth_getTransactionReceipt"]
