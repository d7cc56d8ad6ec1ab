"""Wallet writes: SIWE nonces, linking and unlinking addresses."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from chains import siwe
from chains.models import LinkedWallet, SiweNonce
from chains.registry import CHAINS
from cryptovault.errors import DomainError

NONCE_LIFE = timedelta(minutes=10)


def nonce_issue(*, user: User) -> SiweNonce:
    return SiweNonce.objects.create(
        user=user, nonce=secrets.token_hex(16), expires_at=timezone.now() + NONCE_LIFE
    )


def wallet_link(
    *,
    user: User,
    message: str,
    signature: str,
    domain: str,
    origin: str,
    request: HttpRequest | None = None,
) -> tuple[LinkedWallet, bool]:
    """Check the SIWE message and link its address; (wallet, created)."""
    parsed = siwe.verify(
        message,
        signature,
        domain=domain,
        origin=origin,
        chain_ids=set(CHAINS),
        nonce_life=NONCE_LIFE,
    )
    address = siwe.to_checksum_address(parsed.address)
    with transaction.atomic():
        nonce = SiweNonce.objects.select_for_update().filter(nonce=parsed.nonce, user=user).first()
        if nonce is None or nonce.used_at is not None or nonce.expires_at <= timezone.now():
            raise DomainError(
                "nonce_invalid", "This sign-in request was used or has expired; try again."
            )
        nonce.used_at = timezone.now()
        nonce.save(update_fields=["used_at"])
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
        request=request,
        address=address,
        chain_id=parsed.chain_id,
    )
    return wallet, True


def wallet_unlink(*, user: User, address: str, request: HttpRequest | None = None) -> None:
    wallet = LinkedWallet.objects.filter(user=user, address__iexact=address).first()
    if wallet is None:
        raise DomainError("not_found", "No such wallet on your account.", status_code=404)
    wallet.delete()
    audit_record(action="wallet_unlinked", user=user, request=request, address=wallet.address)
