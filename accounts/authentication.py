"""API authentication: SimpleJWT bearer tokens that a logout can end.

Kept apart from ``accounts.tokens``: DRF imports its authentication classes while
``rest_framework.views`` loads, so this module imports nothing of ours that imports
DRF views (``cryptovault.errors`` does).
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from accounts.models import RevokedToken

LOGIN_ID_CLAIM = "sid"


def token_is_revoked(token: Token) -> bool:
    ids = [str(value) for value in (token.get("jti"), token.get(LOGIN_ID_CLAIM)) if value]
    return RevokedToken.objects.filter(jti__in=ids, expires_at__gt=timezone.now()).exists()


class RevocableJWTAuthentication(JWTAuthentication):
    """SimpleJWT's bearer authentication, refusing access tokens revoked by a logout."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        if token_is_revoked(token):
            raise InvalidToken(
                {"detail": "This token was revoked by a logout.", "code": "token_not_valid"}
            )
        return token
