"""Wallet writes: SIWE nonces, linking, unlinking and logging in with an address, and
recording the transactions a linked wallet sent and following them to their receipts.

Every refusal is a DomainError with the code SPEC §7 and the tests name; a node's
failure becomes one in ``chains.nodes``, the one place that maps them.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from accounts.audit import audit_record
from accounts.models import User
from accounts.services import login_lockout_check
from chains import siwe
from chains.models import LinkedWallet, SiweNonce, TxStatus, WalletTransaction
from chains.nodes import node_answering, node_client
from chains.registry import CHAINS, chain_get
from chains.rpc import RpcClient, RpcError
from chains.selectors import (
    wallet_transaction_find,
    wallet_transaction_list,
    wallet_transactions_pending,
)
from chains.siwe import to_checksum_address
from cryptovault.errors import DomainError

NONCE_LIFE = timedelta(minutes=10)
HASH = re.compile(r"0x[0-9a-fA-F]{64}")


def nonce_issue(*, user: User | None) -> SiweNonce:
    """A single-use nonce for a SIWE message: the user's (linking) or a visitor's (login)."""
    return SiweNonce.objects.create(
        user=user, nonce=secrets.token_hex(16), expires_at=timezone.now() + NONCE_LIFE
    )


def _signed_in(
    message: str, signature: str, *, domain: str, origin: str, nonce_owner: User | None
) -> siwe.SiweMessage:
    """Verify the message and consume its nonce, which must be ``nonce_owner``'s (None for
    a visitor's), unused and unexpired. Call inside a transaction.

    The message must follow the EIP-4361 grammar strictly (fields in order, each once),
    with one leniency: an all-lowercase address is accepted, because wallets report
    addresses in lowercase and the wallet page (static/js/lib/ethereum.js) signs that
    form; the signature still has to recover to that address.
    """
    parsed = siwe.verify(
        message,
        signature,
        domain=domain,
        origin=origin,
        chain_ids=set(CHAINS),
        nonce_life=NONCE_LIFE,
        lowercase_address=True,
    )
    nonce = (
        SiweNonce.objects.select_for_update().filter(nonce=parsed.nonce, user=nonce_owner).first()
    )
    if nonce is None or nonce.used_at is not None or nonce.expires_at <= timezone.now():
        raise DomainError(
            "nonce_invalid", "This sign-in request was used or has expired; try again."
        )
    nonce.used_at = timezone.now()
    nonce.save(update_fields=["used_at"])
    return parsed


def wallet_link(
    *,
    user: User,
    message: str,
    signature: str,
    domain: str,
    origin: str,
) -> tuple[LinkedWallet, bool]:
    """Check the SIWE message and link its address; (wallet, created)."""
    with transaction.atomic():
        parsed = _signed_in(message, signature, domain=domain, origin=origin, nonce_owner=user)
        address = siwe.to_checksum_address(parsed.address)
        existing = LinkedWallet.objects.filter(address=address).first()
        if existing is not None and existing.user_id != user.pk:
            raise DomainError(
                "address_taken", "This address is linked to another account.", status_code=409
            )
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                wallet = LinkedWallet.objects.create(
                    user=user, address=address, chain_id=parsed.chain_id
                )
        except IntegrityError:
            raise DomainError(
                "address_taken", "This address is linked to another account.", status_code=409
            ) from None
    audit_record(
        action="wallet_linked",
        user=user,
        address=address,
        chain_id=parsed.chain_id,
    )
    return wallet, True


def wallet_login(*, message: str, signature: str, domain: str, origin: str) -> User:
    """The account whose linked address signed this SIWE message (a visitor's nonce).

    The same audit trail and per-account lockout as a password login: a locked
    account cannot come in through its wallet either. A bad signature is audited but
    not counted toward the lockout: it cannot be guessed, and counting it would let
    anyone lock out the owner of a public address.
    """
    try:
        with transaction.atomic():
            parsed = _signed_in(message, signature, domain=domain, origin=origin, nonce_owner=None)
    except DomainError as error:
        audit_record(action="login_failed", method="wallet", code=error.code)
        raise
    address = siwe.to_checksum_address(parsed.address)
    wallet = LinkedWallet.objects.select_related("user").filter(address=address).first()
    if wallet is None or not wallet.user.is_active:
        audit_record(action="login_failed", address=address, method="wallet")
        raise DomainError(
            "wallet_not_linked",
            "No account has linked this address. Log in with your email, "
            "then link it on the Wallet page.",
            status_code=401,
        )
    login_lockout_check(email=wallet.user.email)
    audit_record(action="login", user=wallet.user, method="wallet", address=address)
    return wallet.user


def wallet_unlink(*, user: User, address: str) -> None:
    """Unlink one of the user's addresses (any letter case); 404 when it is not theirs."""
    with transaction.atomic():
        wallet = (
            LinkedWallet.objects.filter(user=user, address__iexact=address).first()
            if siwe.ADDRESS.fullmatch(address)
            else None
        )
        if wallet is None:
            raise DomainError(
                "not_found",
                "No such wallet on your account.",
                status_code=status.HTTP_404_NOT_FOUND,
            )
        wallet.delete()
        audit_record(action="wallet_unlinked", user=user, address=wallet.address)


def transaction_record(
    *, user: User, chain_id: int, tx_hash: str
) -> tuple[WalletTransaction, bool]:
    """Record a transaction sent from one of the user's linked addresses; (tx, created).

    Recording it the first time also looks its receipt up once, so a transfer the node
    mined at once is answered confirmed."""
    chain = chain_get(chain_id)
    if chain is None:
        raise DomainError("unknown_chain", f"Chain {chain_id} is not supported.", field="chain_id")
    if not HASH.fullmatch(tx_hash):
        raise DomainError(
            "invalid_hash", "A transaction hash is 0x and 64 hex digits.", field="hash"
        )
    existing = wallet_transaction_find(user=user, chain_id=chain_id, tx_hash=tx_hash)
    if existing is not None:
        return existing, False
    client = node_client(chain)
    with node_answering(chain):
        found = client.transaction(tx_hash)
    if found is None:
        raise DomainError(
            "unknown_transaction", "The chain does not know this transaction (yet).", field="hash"
        )
    sender = to_checksum_address(found["from"])
    if not LinkedWallet.objects.filter(user=user, address=sender).exists():
        raise DomainError(
            "wallet_not_linked",
            "The transaction was not sent from a wallet linked to your account.",
            field="hash",
        )
    try:
        with transaction.atomic():
            tx = WalletTransaction.objects.create(
                user=user,
                chain_id=chain_id,
                hash=tx_hash.lower(),
                from_address=sender,
                to_address=to_checksum_address(found["to"]) if found.get("to") else "",
                value_wei=int(found.get("value") or "0x0", 16),
            )
    except IntegrityError:
        # The same hash recorded meanwhile (the page posting twice): the row that won.
        won = wallet_transaction_find(user=user, chain_id=chain_id, tx_hash=tx_hash)
        assert won is not None  # the row that broke the unique constraint
        return won, False
    transaction_follow(tx)
    return tx, True


def transaction_follow(
    tx: WalletTransaction, *, unreachable: set[int] | None = None
) -> WalletTransaction:
    """Look the receipt up once; confirmed or failed when mined, else still pending.

    ``unreachable`` collects the chains whose node failed, so a caller following many
    transactions asks a failing node once, not once per transaction."""
    chain = chain_get(tx.chain_id)
    if tx.status != TxStatus.PENDING or chain is None or not chain.rpc_url:
        return tx
    if unreachable is not None and tx.chain_id in unreachable:
        return tx
    try:
        receipt = RpcClient(chain.rpc_url).receipt(tx.hash)
    except RpcError:
        if unreachable is not None:
            unreachable.add(tx.chain_id)
        return tx  # try again on the next read
    if receipt is None or receipt.get("blockNumber") is None:
        return tx
    gas_used = int(receipt["gasUsed"], 16)
    price = int(receipt.get("effectiveGasPrice") or "0x0", 16)
    tx.status = (
        TxStatus.CONFIRMED if int(receipt.get("status", "0x1"), 16) == 1 else TxStatus.FAILED
    )
    tx.block_number = int(receipt["blockNumber"], 16)
    tx.gas_used = gas_used
    tx.fee_wei = gas_used * price
    tx.save(update_fields=["status", "block_number", "gas_used", "fee_wei", "updated_at"])
    return tx


def transaction_history_follow(*, user: User) -> list[WalletTransaction]:
    """The user's latest transactions, each pending one first looked up once more.

    Why reading the history asks the chain: the wallet page polls it every few seconds
    while a transfer is pending (static/js/wallet.js) and shows it settle, even where
    no ``follow_wallet_transactions`` process runs; a failing node is asked once per
    read, not once per transaction (chains/tests/test_transactions.py holds both).
    """
    transactions = wallet_transaction_list(user=user)
    unreachable: set[int] = set()
    for tx in transactions:
        transaction_follow(tx, unreachable=unreachable)
    return transactions


def transactions_pending_follow() -> tuple[int, int]:
    """Follow every pending transaction once; (settled now, pending before)."""
    pending = wallet_transactions_pending()
    unreachable: set[int] = set()
    settled = sum(
        transaction_follow(tx, unreachable=unreachable).status != TxStatus.PENDING for tx in pending
    )
    return settled, len(pending)
