"""Linked wallets and the single-use nonces of Sign-In with Ethereum."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SiweNonce(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="siwe_nonces"
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
