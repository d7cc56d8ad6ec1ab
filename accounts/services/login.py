"""Logging in, through every door (the site, the API, the admin, a wallet), and the
lockout they share: five wrong passwords lock an address for 15 minutes, counted in
the rate-limit cache so that every process sees the same count."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import BaseCache, caches
from rest_framework import status

from accounts import secrets as account_secrets
from accounts.audit import audit_record
from accounts.models import User
from accounts.services.registration import email_normalize
from cryptovault.errors import DomainError

LOGIN_LOCKOUT_FAILURES = 5
LOGIN_LOCKOUT_SECONDS = 15 * 60
LOCKED_MESSAGE = "Too many wrong passwords for this account. Try again in 15 minutes."


# --- Login --------------------------------------------------------------------


def _counters() -> BaseCache:
    """The rate-limit cache: shared across processes, never an error when it is down."""
    return caches[settings.RATELIMIT_USE_CACHE]


def _lockout_key(email: str) -> str:
    return f"login-failures:{account_secrets.token_hash(email)}"


def login_lockout_check(*, email: str) -> None:
    """Refuse any login to ``email`` while it is locked out, whatever the door
    (password page, API, admin, wallet, password change): the lockout belongs to the
    account."""
    if (_counters().get(_lockout_key(email)) or 0) >= LOGIN_LOCKOUT_FAILURES:
        audit_record(action="login_locked_out", email=email)
        raise DomainError(
            "account_locked", LOCKED_MESSAGE, status_code=status.HTTP_429_TOO_MANY_REQUESTS
        )


def login_failure_record(*, email: str, **data: Any) -> int:
    """Count one failed login for ``email`` (toward its lockout) and audit it."""
    key = _lockout_key(email)
    counters = _counters()
    counters.add(key, 0, timeout=LOGIN_LOCKOUT_SECONDS)
    try:
        failures = counters.incr(key)
    except ValueError:  # expired between add and incr
        counters.set(key, 1, timeout=LOGIN_LOCKOUT_SECONDS)
        failures = 1
    audit_record(action="login_failed", email=email, failures=failures, **data)
    return int(failures)


def login_failures_clear(*, email: str) -> None:
    _counters().delete(_lockout_key(email))


def _credentials_invalid() -> DomainError:
    return DomainError(
        "invalid_credentials",
        "The email or password is not right.",
        status_code=status.HTTP_401_UNAUTHORIZED,
    )


def _login_password_check(*, email: str, password: str, door: str) -> User:
    """The lockout, then the password; a wrong one (or an unknown address, or an
    inactive account) counts toward the lockout. ``email`` is normalised."""
    login_lockout_check(email=email)
    user = authenticate(None, username=email, password=password)
    if user is None:
        login_failure_record(email=email, door=door)
        raise _credentials_invalid()
    assert isinstance(user, User)
    return user


def _login_verified_check(*, user: User, door: str) -> None:
    """Unverified accounts log in nowhere; not a failure (the password was right)."""
    if not user.email_verified:
        audit_record(action="login_unverified", user=user, door=door)
        raise DomainError(
            "email_not_verified",
            "Verify your email first: we sent you a code.",
            status_code=status.HTTP_403_FORBIDDEN,
        )


def _login_succeeded(*, user: User, door: str) -> None:
    login_failures_clear(email=user.email)
    audit_record(action="login", user=user, door=door)


def user_login(*, email: str, password: str) -> User:
    """Check credentials, with a per-address lockout after repeated failures.

    The lockout counts by address whether or not an account exists, so it tells an
    attacker nothing; wrong email and wrong password give the same error.
    """
    email = email_normalize(email)
    user = _login_password_check(email=email, password=password, door="site")
    _login_verified_check(user=user, door="site")
    _login_succeeded(user=user, door="site")
    return user


def staff_login(*, email: str, password: str) -> User:
    """The admin's door: active, verified staff only, under the site login's lockout.

    Same lockout counter and audit trail as ``user_login`` (a failure here counts
    toward the site lockout and the other way round); the admin view adds the same
    ``login`` rate limit per IP. A non-staff account with the right password is
    refused like a wrong password AND counted as a failure: if it were not, the
    lockout arriving one attempt late would tell an attacker which guess was right.
    An unverified staff account is refused with ``email_not_verified``, as on the site:
    no door lets an unproven address in, and the admin is the most powerful door;
    an operator can mark the address verified from the users list.
    """
    email = email_normalize(email)
    user = _login_password_check(email=email, password=password, door="admin")
    if not user.is_staff:
        login_failure_record(email=email, door="admin", reason="not_staff")
        raise _credentials_invalid()
    _login_verified_check(user=user, door="admin")
    _login_succeeded(user=user, door="admin")
    return user
