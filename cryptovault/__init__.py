"""CryptoVault: crypto paper trading with live prices and on-chain wallets."""

# Loaded with Django, so the tasks the apps declare belong to this application (and
# `celery -A cryptovault` finds it).
from cryptovault.celery import app as celery_app

__all__ = ("celery_app",)
__version__ = "0.1.0"
