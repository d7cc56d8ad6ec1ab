"""API settings' long values: Django REST framework, simple JWT and the OpenAPI schema.

Part of the settings (``cryptovault.settings`` binds every setting; this module
builds the long values). What they produce is in the SPEC: JWT access for 15 minutes
and refresh for 7 days with rotation (§2), errors in one JSON shape (§6), decimals as
strings and paginated lists (§7).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "cryptovault.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "cryptovault.schema.AutoSchema",
    "EXCEPTION_HANDLER": "cryptovault.errors.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}


def simple_jwt(*, signing_key: str) -> dict[str, Any]:
    """simple JWT's settings, signing with ``signing_key`` (JWT_SIGNING_KEY, never SECRET_KEY)."""
    return {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "ALGORITHM": "HS256",
        "SIGNING_KEY": signing_key,
        "UPDATE_LAST_LOGIN": True,
        # Access tokens carry a hash of the password hash: a password change kills them.
        "CHECK_REVOKE_TOKEN": True,
    }


def spectacular(*, version: str) -> dict[str, Any]:
    """drf-spectacular's settings: the schema of API ``version``, UI assets served locally."""
    return {
        "TITLE": "CryptoVault API",
        "DESCRIPTION": "Paper trading of crypto with live prices, portfolio and on-chain wallets.",
        "VERSION": version,
        "SERVE_INCLUDE_SCHEMA": False,
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
