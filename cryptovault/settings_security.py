"""Security settings' long values: password rules and the content security policy.

Part of the settings (``cryptovault.settings`` binds every setting; the cookie and
HTTPS switches stay there, next to the DEBUG they follow). Django's own machinery
throughout (STYLE.md 7): contrib.auth's hashers and validators, django-csp's policy.
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE, NONE, SELF

# The first hashes new passwords; the others only verify hashes they made earlier.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS: list[dict[str, Any]] = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]

# Coin logos are CoinGecko's images, shown from its hosts.
COINGECKO_IMAGE_HOSTS = ["https://coin-images.coingecko.com", "https://assets.coingecko.com"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *COINGECKO_IMAGE_HOSTS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
