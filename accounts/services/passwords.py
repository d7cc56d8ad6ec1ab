"""Passwords: the reset link by email, the reset, and the change on the account page.

A reset request runs in a background job (``cryptovault.tasks``) so that its answer and
time are the same whether or not the address has an account. Setting a password ends
every other session and refresh token.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import secrets as account_secrets
from accounts.audit import audit_record
from accounts.emails import absolute_url, email_send
from accounts.models import EmailVerification, PasswordResetToken, User
from accounts.services.login import login_failure_record, login_failures_clear, login_lockout_check
from accounts.services.registration import email_normalize, password_validate
from cryptovault.errors import DomainError
from cryptovault.tasks import task_enqueue

RESET_LIFETIME = timedelta(hours=1)


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
        password_validate(password, user=user)
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
        password_validate(new_password, user=user)
        _password_set(user=user, password=new_password)
        audit_record(action="password_changed", user=user)
    login_failures_clear(email=user.email)


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
