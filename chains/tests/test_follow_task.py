"""The periodic job that follows pending wallet transactions (chains.tasks), on ganache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from chains.local_evm import ACCOUNTS
from chains.models import LinkedWallet, WalletTransaction
from chains.rpc import RpcClient
from chains.tasks import RUNNING_KEY, wallet_transactions_follow
from cryptovault.celery import app as celery_app

pytestmark = pytest.mark.django_db
SENDER, _ = ACCOUNTS[0]
RECEIVER, _ = ACCOUNTS[1]


@pytest.fixture
def pending(local_chain) -> WalletTransaction:
    """A transfer sent while the node mines nothing, recorded pending, then mined."""
    from chains.services import transaction_record

    user = UserFactory.create(email="sender@example.com", name="S", unverified=True)
    LinkedWallet.objects.create(user=user, address=SENDER, chain_id=1337)
    rpc = RpcClient(local_chain)
    rpc.call("miner_stop")
    try:
        tx_hash = rpc.call(
            "eth_sendTransaction", [{"from": SENDER, "to": RECEIVER, "value": hex(10**15)}]
        )
        tx, _ = transaction_record(user=user, chain_id=1337, tx_hash=tx_hash)
        assert tx.status == "pending"
    finally:
        rpc.call("miner_start")
    rpc.call("evm_mine")
    return tx


def test_the_periodic_job_settles_pending_transactions(pending):
    # As the worker runs it when beat sends "chains.tasks.wallet_transactions_follow".
    celery_app.tasks["chains.tasks.wallet_transactions_follow"].apply()

    pending.refresh_from_db()
    assert pending.status == "confirmed" and pending.gas_used == 21000 and pending.block_number


def test_a_round_does_not_start_beside_one_still_running(pending):
    cache.add(RUNNING_KEY, 1, 60)  # a slow round on another worker process

    assert wallet_transactions_follow() == (0, 0)
    pending.refresh_from_db()
    assert pending.status == "pending"

    cache.delete(RUNNING_KEY)
    assert wallet_transactions_follow() == (1, 1)
    assert cache.get(RUNNING_KEY) is None
