"""Account services: the only place account state changes. Pages and API both call these.

Each public function is one transaction; emails leave after it commits. Errors are
``DomainError`` with a stable code, which the API turns into JSON and pages into
form errors.

Work whose cost depends on whether an address has an account (forgot-password,
resend-verification) runs in a background job (``cryptovault.tasks``), so that the
answer and its time are the same for every address.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import BaseCache, caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from rest_framework import status
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import secrets as account_secrets
from accounts.audit import audit_record
from accounts.emails import absolute_url, email_send
from accounts.models import EmailVerification, PasswordResetToken, User
from cryptovault.errors import DomainError
from cryptovault.events import user_verified_announce
from cryptovault.tasks import task_enqueue

CODE_LIFETIME = timedelta(minutes=10)
LINK_LIFETIME = timedelta(hours=24)
RESET_LIFETIME = timedelta(hours=1)
CODE_MAX_ATTEMPTS = 5
LOGIN_LOCKOUT_FAILURES = 5
LOGIN_LOCKOUT_SECONDS = 15 * 60
VERIFY_PURPOSE = "email-verification"
CODE_INVALID_MESSAGE = "This code is not valid or has expired. Ask for a new one."
# Compared against when an address has no live code: the same HMAC work, never a match.
NO_CODE_HASH = "0" * 64
LOCKED_MESSAGE = "Too many wrong passwords for this account. Try again in 15 minutes."


def email_normalize(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _password_check(password: str, *, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise DomainError("invalid_password", " ".join(error.messages), field="password") from None


# --- Sign-up and verification -------------------------------------------------


@transaction.atomic
def user_signup(*, email: str, password: str, name: str) -> None:
    """Create an unverified user and email a code and a link.

    A taken address gets the same answer (no enumeration); its owner is emailed that
    an account exists instead.
    """
    email = email_normalize(email)
    _password_check(password, user=User(email=email, name=name))
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        make_password(password)  # the same hashing work as a real sign-up: same timing
        email_send(kind="account_exists", to=email, context={"verified": existing.email_verified})
        audit_record(action="signup_existing_email", user=existing)
        return
    user = User.objects.create_user(email=email, password=password, name=name.strip())
    _verification_start(user=user)
    audit_record(action="signup", user=user)


def _verification_start(*, user: User) -> None:
    """A fresh code and link for ``user``; every earlier round dies."""
    now = timezone.now()
    EmailVerification.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    code, token = account_secrets.code_new(), account_secrets.token_new()
    EmailVerification.objects.create(
        user=user,
        code_hash=account_secrets.code_hash(code, purpose=VERIFY_PURPOSE),
        token_hash=account_secrets.token_hash(token),
        created_at=now,
        code_expires_at=now + CODE_LIFETIME,
        token_expires_at=now + LINK_LIFETIME,
    )
    email_send(
        kind="verification",
        to=user.email,
        context={
            "name": user.name,
            "code": code,
            "verify_url": absolute_url(reverse("accounts:verify-link", args=[token])),
        },
    )


def verification_resend(*, email: str) -> None:
    """Queue a new code and link for ``email``: same answer, same time, for any address.

    The lookup, the writes and the email happen in a job (``verification_reissue``):
    done here, they would make the answer slower for an address that is waiting for
    verification than for an unknown or verified one.
    """
    task_enqueue(verification_reissue, email=email_normalize(email))


@transaction.atomic
def verification_reissue(*, email: str) -> None:
    """The job behind ``verification_resend``: a fresh round for an active, unverified
    user; silently nothing for any other address."""
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None or user.email_verified:
        return
    _verification_start(user=user)
    audit_record(action="verification_resent", user=user)


def user_verify_by_code(*, email: str, code: str) -> User:
    """Verify with the 6-digit code: 10 minutes, 5 tries, single use.

    Every failure (unknown address, already verified, no live code, expired code, too
    many tries, wrong digits) answers one ``invalid_code`` after the same work: one
    lookup, one hash comparison, one counter update, one audit entry. Neither the
    answer nor its time tells whether an address has an account or is waiting for
    verification; the audit entry keeps the real reason for operators.
    """
    email = email_normalize(email)
    with transaction.atomic():
        verification = (
            EmailVerification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(user__email=email, used_at=None, revoked_at=None)
            .order_by("-created_at")
            .first()
        )
        matches = account_secrets.code_matches(
            code.strip(),
            verification.code_hash if verification is not None else NO_CODE_HASH,
            purpose=VERIFY_PURPOSE,
        )
        if verification is None:
            reason = "no_live_code"
        elif verification.failed_attempts >= CODE_MAX_ATTEMPTS:
            reason = "attempts_exceeded"
        elif verification.code_expires_at <= timezone.now():
            reason = "expired"
        elif not matches:
            reason = "wrong_code"
        else:
            _verification_complete(user=verification.user, verification=verification)
            return verification.user
        # Counted even though the request fails: the transaction still commits. The
        # count stops at the maximum (the round is dead by then); without a round the
        # update matches no row, at the same cost.
        EmailVerification.objects.filter(
            pk=verification.pk if verification is not None else 0,
            failed_attempts__lt=CODE_MAX_ATTEMPTS,
        ).update(failed_attempts=F("failed_attempts") + 1)
        audit_record(
            action="verification_code_failed",
            user=verification.user if verification is not None else None,
            email=email,
            reason=reason,
        )
    raise DomainError("invalid_code", CODE_INVALID_MESSAGE, field="code")


def user_verify_by_token(*, token: str) -> User:
    """Verify with the emailed link: 24 hours, single use."""
    with transaction.atomic():
        verification = (
            EmailVerification.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=account_secrets.token_hash(token))
            .first()
        )
        if verification is None or not verification.is_live:
            raise DomainError(
                "invalid_token", "This verification link is not valid (any more).", field="token"
            )
        if verification.token_expires_at <= timezone.now():
            raise DomainError(
                "token_expired",
                "This verification link has expired. Ask for a new one.",
                field="token",
            )
        _verification_complete(user=verification.user, verification=verification)
        return verification.user


def _verification_complete(*, user: User, verification: EmailVerification) -> None:
    now = timezone.now()
    verification.used_at = now
    verification.save(update_fields=["used_at"])
    if user.email_verified:
        return
    user.email_verified_at = now
    user.save(update_fields=["email_verified_at"])
    user_email_verified(user=user)


def user_email_verified(*, user: User) -> None:
    """Runs once, inside the transaction, when a user's email becomes verified.

    Announced to the other apps (``cryptovault.events.user_verified``: trading funds
    the new account in this same transaction), then the welcome email.
    """
    audit_record(action="email_verified", user=user)
    user_verified_announce(user=user)
    starting_balance = settings.DEMO_STARTING_BALANCE_USD
    email_send(
        kind="welcome",
        to=user.email,
        context={
            "name": user.name,
            "starting_balance": f"{starting_balance:,.2f}" if starting_balance else "",
        },
    )


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


def _login_failures_clear(*, email: str) -> None:
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
    _login_failures_clear(email=user.email)
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


# --- Passwords ----------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Queue a reset link for ``email``: same answer, same time, for any address.

    The lookup, the token and the email happen in a job (``password_reset_issue``):
    done here, they would make the answer slower for an address with an account.
    """
    task_enqueue(password_reset_issue, email=email_normalize(email))


@transaction.atomic
def password_reset_issue(*, email: str) -> None:
    """The job behind ``password_reset_request``: a reset link for an active account;
    for any other address only an audit entry (an operator may want to see probing)."""
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        audit_record(action="password_reset_requested", email=email)
        return
    token = account_secrets.token_new()
    now = timezone.now()
    PasswordResetToken.objects.create(
        user=user,
        token_hash=account_secrets.token_hash(token),
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    email_send(
        kind="password_reset",
        to=user.email,
        context={
            "name": user.name,
            "reset_url": absolute_url(reverse("accounts:password-reset", args=[token])),
        },
    )
    audit_record(action="password_reset_requested", user=user)


def password_reset_token_check(*, token: str) -> PasswordResetToken:
    """The live reset token for ``token``, or a DomainError saying why not."""
    found = (
        PasswordResetToken.objects.select_related("user")
        .filter(token_hash=account_secrets.token_hash(token))
        .first()
    )
    if found is None or found.used_at or found.revoked_at or not found.user.is_active:
        raise DomainError(
            "invalid_token", "This reset link is not valid (any more).", field="token"
        )
    if found.expires_at <= timezone.now():
        raise DomainError(
            "token_expired", "This reset link has expired. Ask for a new one.", field="token"
        )
    return found


def password_reset_complete(*, token: str, password: str) -> User:
    """Set a new password from a reset link; the link and every session die."""
    with transaction.atomic():
        reset = password_reset_token_check(token=token)
        reset = (
            PasswordResetToken.objects.select_for_update().select_related("user").get(pk=reset.pk)
        )
        if reset.used_at or reset.revoked_at:  # lost a race with another use
            raise DomainError(
                "invalid_token", "This reset link is not valid (any more).", field="token"
            )
        user = reset.user
        _password_check(password, user=user)
        reset.used_at = timezone.now()
        reset.save(update_fields=["used_at"])
        _password_set(user=user, password=password)
        audit_record(action="password_reset", user=user)
        return user


def password_change(*, user: User, current_password: str, new_password: str) -> None:
    """Change the password, knowing the current one; other sessions and tokens die.

    The current password is guessed like a login password, so it shares the login's
    per-account lockout: a locked account cannot change it, and each wrong one counts
    (and is audited). The check stays outside the transaction so that the failure's
    count and audit entry are not rolled back with it.
    """
    login_lockout_check(email=user.email)
    if not user.check_password(current_password):
        login_failure_record(email=user.email, door="password_change")
        raise DomainError(
            "invalid_password", "Your current password is not right.", field="current_password"
        )
    with transaction.atomic():
        _password_check(new_password, user=user)
        _password_set(user=user, password=new_password)
        audit_record(action="password_changed", user=user)
    _login_failures_clear(email=user.email)


def _password_set(*, user: User, password: str) -> None:
    """Set the password and end everything issued before it.

    Sessions die through Django's session auth hash (the page view keeps the
    current one with update_session_auth_hash); access tokens through the
    password-hash claim (CHECK_REVOKE_TOKEN); refresh tokens are blacklisted here;
    outstanding reset links and verification rounds are revoked.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    PasswordResetToken.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    EmailVerification.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    for outstanding in OutstandingToken.objects.filter(user=user):
        BlacklistedToken.objects.get_or_create(token=outstanding)
    email_send(kind="password_changed", to=user.email, context={"name": user.name})


@transaction.atomic
def user_update_profile(*, user: User, name: str) -> User:
    user.name = name.strip()
    user.save(update_fields=["name"])
    return user
