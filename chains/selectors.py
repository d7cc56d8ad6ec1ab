"""Chains and wallets, read: the registry as the API lists it, a user's wallets and
transactions, and the balances the nodes report for a wallet (a read of the chain,
no write)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import status

from accounts.models import User
from chains.gas import native
from chains.models import LinkedWallet, TxStatus, WalletTransaction
from chains.registry import CHAINS, Chain, chain_get
from chains.rpc import RpcClient, RpcError
from cryptovault.errors import DomainError

# The history a user sees: the latest transactions, newest first (the model's order).
HISTORY_LENGTH = 100


def chain_list() -> list[dict[str, Any]]:
    """Every supported chain, and whether this server can reach its node."""
    return [
        {
            "chain_id": chain.chain_id,
            "name": chain.name,
            "native_symbol": chain.native_symbol,
            "native_decimals": chain.native_decimals,
            "explorer_url": chain.explorer_url,
            "eip1559": chain.eip1559,
            "rpc_configured": bool(chain.rpc_url),
        }
        for chain in CHAINS.values()
    ]


def chain_get_supported(*, chain_id: int) -> Chain:
    """The chain a path names; 404 ``not_found`` when it is not one we support."""
    chain = chain_get(chain_id)
    if chain is None:
        raise DomainError(
            "not_found",
            f"Chain {chain_id} is not supported.",
            status_code=status.HTTP_404_NOT_FOUND,
        )
    return chain


def wallet_list(*, user: User) -> QuerySet[LinkedWallet]:
    """The user's linked wallets, oldest first."""
    return LinkedWallet.objects.filter(user_id=user.pk)


def wallet_get(*, user: User, address: str) -> LinkedWallet:
    """One of the user's wallets, the address in any letter case; 404 ``not_found`` for
    an address that is not theirs (whether or not someone else linked it)."""
    wallet = LinkedWallet.objects.filter(user_id=user.pk, address__iexact=address).first()
    if wallet is None:
        raise DomainError(
            "not_found", "No such wallet on your account.", status_code=status.HTTP_404_NOT_FOUND
        )
    return wallet


def wallet_balances(*, user: User, address: str) -> list[dict[str, Any]]:
    """The native balance of one of the user's wallets on each chain this server reaches.

    Asks each node once, now (balances are the chain's, not ours to store); a node that
    fails gives its row an ``error`` instead of failing the others.
    """
    wallet = wallet_get(user=user, address=address)
    rows = []
    for chain in CHAINS.values():
        if not chain.rpc_url:
            continue
        row: dict[str, Any] = {"chain_id": chain.chain_id, "symbol": chain.native_symbol}
        try:
            wei = RpcClient(chain.rpc_url).balance(wallet.address)
            row.update(
                balance_wei=str(wei), balance=str(native(chain, wei).normalize()), error=None
            )
        except RpcError as error:
            row.update(balance_wei=None, balance=None, error=str(error))
        rows.append(row)
    return rows


def wallet_transaction_list(*, user: User) -> list[WalletTransaction]:
    """The user's latest wallet transactions, newest first."""
    return list(WalletTransaction.objects.filter(user_id=user.pk)[:HISTORY_LENGTH])


def wallet_transaction_find(*, user: User, chain_id: int, tx_hash: str) -> WalletTransaction | None:
    """The user's transaction with this hash on this chain, None when nobody recorded it.

    Another user's is 404 ``not_found``: a hash is public, who recorded it is not.
    """
    found = WalletTransaction.objects.filter(chain_id=chain_id, hash=tx_hash.lower()).first()
    if found is not None and found.user_id != user.pk:
        raise DomainError(
            "not_found", "No such transaction.", status_code=status.HTTP_404_NOT_FOUND
        )
    return found


def wallet_transactions_pending() -> list[WalletTransaction]:
    """Every transaction still waiting for its receipt, whoever sent it."""
    return list(WalletTransaction.objects.filter(status=TxStatus.PENDING))
