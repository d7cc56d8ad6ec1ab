"""Linked wallets and the single-use nonces of Sign-In with Ethereum."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SiweNonce(models.Model):
    # None: issued to a visitor who wants to log in with a linked wallet.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="siwe_nonces",
        null=True,
        blank=True,
    )
    nonce = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.nonce} ({'used' if self.used_at else 'open'})"


class LinkedWallet(models.Model):
    """An address proven by a SIWE signature; it belongs to one user only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallets"
    )
    address = models.CharField(max_length=42, unique=True, help_text="EIP-55 checksummed.")
    chain_id = models.PositiveIntegerField(help_text="The chain it was linked on.")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["linked_at"]

    def __str__(self) -> str:
        return self.address


class TxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    FAILED = "failed", "Failed"


class WalletTransaction(models.Model):
    """A transaction a user's wallet sent, followed to its receipt."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet_transactions"
    )
    chain_id = models.PositiveIntegerField()
    hash = models.CharField(max_length=66)
    from_address = models.CharField(max_length=42)
    to_address = models.CharField(max_length=42, blank=True)
    value_wei = models.DecimalField(max_digits=78, decimal_places=0)
    status = models.CharField(max_length=9, choices=TxStatus.choices, default=TxStatus.PENDING)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    fee_wei = models.DecimalField(max_digits=78, decimal_places=0, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "hash"], name="wallet_tx_unique_per_chain")
        ]

    def __str__(self) -> str:
        return f"{self.hash[:10]}… on {self.chain_id} ({self.status})"
