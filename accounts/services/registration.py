"""Sign-up, email verification and the profile.

A sign-up with a taken address answers as a new one would, after the same work; a
resend runs in a background job (``cryptovault.tasks``) so that its answer and time
are the same for every address. A verified user is announced to the other apps
(``cryptovault.events.user_verified``) inside the verifying transaction.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts import secrets as account_secrets
from accounts.audit import audit_record
from accounts.emails import absolute_url, email_send
from accounts.models import EmailVerification, User
from cryptovault.errors import DomainError
from cryptovault.events import user_verified_announce
from cryptovault.tasks import task_enqueue

CODE_LIFETIME = timedelta(minutes=10)
LINK_LIFETIME = timedelta(hours=24)
CODE_MAX_ATTEMPTS = 5
VERIFY_PURPOSE = "email-verification"
CODE_INVALID_MESSAGE = "This code is not valid or has expired. Ask for a new one."
# Compared against when an address has no live code: the same HMAC work, never a match.
NO_CODE_HASH = "0" * 64


def email_normalize(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def password_validate(password: str, *, user: User) -> None:
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
    password_validate(password, user=User(email=email, name=name))
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


@transaction.atomic
def user_update_profile(*, user: User, name: str) -> User:
    user.name = name.strip()
    user.save(update_fields=["name"])
    return user
