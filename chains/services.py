"""Wallet writes: SIWE nonces, linking and unlinking addresses."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.services import login_lockout_check
from chains import siwe
from chains.models import LinkedWallet, SiweNonce, TxStatus, WalletTransaction
from chains.registry import CHAINS, chain_get
from chains.rpc import RpcClient, RpcError
from chains.siwe import to_checksum_address
from cryptovault.errors import DomainError

NONCE_LIFE = timedelta(minutes=10)


def nonce_issue(*, user: User | None) -> SiweNonce:
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
    addresses in lowercase and the wallet page (static/js/wallet-common.js) signs that
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
    wallet = LinkedWallet.objects.filter(user=user, address__iexact=address).first()
    if wallet is None:
        raise DomainError("not_found", "No such wallet on your account.", status_code=404)
    wallet.delete()
    audit_record(action="wallet_unlinked", user=user, address=wallet.address)


HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def transaction_record(
    *, user: User, chain_id: int, tx_hash: str
) -> tuple[WalletTransaction, bool]:
    """Record a transaction sent from one of the user's linked addresses."""
    chain = chain_get(chain_id)
    if chain is None:
        raise DomainError("unknown_chain", f"Chain {chain_id} is not supported.", field="chain_id")
    if not HASH.match(tx_hash):
        raise DomainError(
            "invalid_hash", "A transaction hash is 0x and 64 hex digits.", field="hash"
        )
    existing = WalletTransaction.objects.filter(chain_id=chain_id, hash=tx_hash.lower()).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise DomainError("not_found", "No such transaction.", status_code=404)
        return existing, False
    if not chain.rpc_url:
        raise DomainError(
            "rpc_not_configured", f"{chain.name} has no RPC URL on this server.", status_code=503
        )
    found = RpcClient(chain.rpc_url).transaction(tx_hash)
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
        tx = WalletTransaction.objects.get(chain_id=chain_id, hash=tx_hash.lower())
        if tx.user_id != user.pk:
            raise DomainError("not_found", "No such transaction.", status_code=404) from None
        return tx, False
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
