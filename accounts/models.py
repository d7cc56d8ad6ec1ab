"""Accounts: the user (email is the username), verification codes and links, password
reset tokens, the emails we sent and the audit trail of security events."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by a normalised email address."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        # Operators created from the command line own their address already.
        fields.setdefault("email_verified_at", timezone.now())
        if not fields["is_staff"] or not fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a CryptoVault account; logs in with a verified email address."""

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to this admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["-date_joined"]

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class EmailVerification(models.Model):
    """One round of email verification: a 6-digit code and a link token, both hashed.

    The code lives 10 minutes and dies after 5 wrong tries; the link lives 24 hours.
    Both die once either is used, and when a new round is sent (resend).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="verifications")
    code_hash = models.CharField(max_length=128)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    code_expires_at = models.DateTimeField()
    token_expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="verification_user_created")]

    def __str__(self) -> str:
        return f"verification for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class PasswordResetToken(models.Model):
    """A single-use password reset link: hashed at rest, 1 hour, dies on any password change."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reset token for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class SentEmail(models.Model):
    """Every email we tried to send, one row each however many attempts it took, for
    operators; bodies kept only for the dev outbox."""

    class Status(models.TextChoices):
        RETRYING = "retrying", "Retrying"  # an attempt failed; another is scheduled
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"  # every attempt failed

    # The email's identity across attempts (accounts.emails): a retry or a redelivered
    # message finds its row, and sends nothing once it says sent.
    key = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True, help_text="The last attempt's error.")
    request_id = models.CharField(max_length=64, blank=True)
    body_text = models.TextField(blank=True, help_text="Kept only in the dev outbox mode.")
    body_html = models.TextField(blank=True, help_text="Kept only in the dev outbox mode.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


class AuditEvent(models.Model):
    """An append-only record of a security or money event: who, what, when, from where."""

    action = models.CharField(max_length=50, db_index=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    email = models.EmailField(blank=True, help_text="The address involved, when there is one.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.email or self.user_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class RevokedToken(models.Model):
    """A JWT id (``jti``) or login id (``sid``) that no access token may carry any more.

    Access tokens are self-contained and live 15 minutes; simplejwt's blacklist
    covers refresh tokens only. Logging out puts the login's ``sid`` (shared by every
    token that login and its refreshes issued) here until its last access token has
    expired anyway.
    """

    jti = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"revoked {self.jti} until {self.expires_at:%Y-%m-%d %H:%M}"
