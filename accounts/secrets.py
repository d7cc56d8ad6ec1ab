"""Codes and tokens for verification and password reset: made with ``secrets``, stored hashed.

A 6-digit code has only a million values, so its hash is keyed (HMAC with the
SECRET_KEY): a copy of the database alone does not give the codes away. Link tokens
carry 256 random bits, so a plain SHA-256 is enough for them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.utils.crypto import salted_hmac

CODE_DIGITS = 6


def code_new() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(code: str, *, purpose: str) -> str:
    return salted_hmac(f"cryptovault.{purpose}", code, algorithm="sha256").hexdigest()


def code_matches(code: str, stored_hash: str, *, purpose: str) -> bool:
    return hmac.compare_digest(code_hash(code, purpose=purpose), stored_hash)


def token_new() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
