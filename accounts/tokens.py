"""API tokens (SimpleJWT): issuing them per login, and ending them at logout.

Every door that logs a user in through the API (password, email verification, a
linked wallet) answers the same ``{access, refresh, user}`` with ``tokens_for``; the
accounts API and the chains API both call it here, in the accounts core, so neither
app's screens reach into the other's.

Every login gets a login id, the ``sid`` claim: the first refresh token's ``jti``.
Access tokens copy it from their refresh token and rotation keeps it, so one claim
names everything a login issued. Logging out blacklists the refresh token (no new
access tokens) and revokes the ``sid`` (the access tokens already out stop working
at once instead of living out their 15 minutes).
"""

from __future__ import annotations

import contextlib

from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.authentication import LOGIN_ID_CLAIM
from accounts.models import RevokedToken, User
from cryptovault.errors import DomainError


# The user as every API answer shows them (``GET /api/auth/me`` and each login). No
# docstring: drf-spectacular would publish it as the component's description.
class UserOutputSerializer(serializers.ModelSerializer[User]):
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "email_verified"]


# The OpenAPI shape of a login's answer, for every view that answers ``tokens_for``.
TOKENS = inline_serializer(
    "TokensWithUser",
    {
        "access": serializers.CharField(),
        "refresh": serializers.CharField(),
        "user": UserOutputSerializer(),
    },
)


def refresh_token_issue(*, user: User) -> RefreshToken:
    """A refresh token for a new login, carrying the login id."""
    refresh = RefreshToken.for_user(user)
    refresh[LOGIN_ID_CLAIM] = refresh["jti"]
    return refresh


def tokens_for(user: User) -> dict[str, object]:
    """A new login's tokens and the user they belong to; the login is stamped on the user."""
    refresh = refresh_token_issue(user=user)
    update_last_login(User, user)
    return {
        "access": str(refresh.access_token),
        "refresh": str(refresh),
        "user": UserOutputSerializer(user).data,
    }


@transaction.atomic
def tokens_revoke(*, refresh: str, access: str | None = None) -> None:
    """Log out: the refresh token is blacklisted, the login's access tokens revoked.

    ``access`` (the caller's own access token, when it sent one) is revoked too, for
    tokens issued before login ids existed.
    """
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
        token.blacklist()
    except TokenError as error:
        raise DomainError(
            "token_not_valid", str(error), status_code=status.HTTP_401_UNAUTHORIZED
        ) from None
    until = timezone.now() + jwt_settings.ACCESS_TOKEN_LIFETIME
    revoked = {str(token.get(LOGIN_ID_CLAIM) or "")}
    if access:
        # An expired or foreign access token needs no revoking.
        with contextlib.suppress(TokenError):
            revoked.add(str(AccessToken(access)["jti"]))  # type: ignore[arg-type]
    for jti in revoked - {""}:
        RevokedToken.objects.update_or_create(jti=jti, defaults={"expires_at": until})
    RevokedToken.objects.filter(expires_at__lt=timezone.now()).delete()


def bearer_token(request: Request) -> str | None:
    """The raw access token of an ``Authorization: Bearer`` header, if any."""
    header = JWTAuthentication().get_header(request)
    raw = JWTAuthentication().get_raw_token(header) if header else None
    return raw.decode() if raw else None
