"""Security settings' long values: password rules, the CSP and the CORP header.

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

# Everything the pages load is listed by kind; any other kind (frames, workers, media,
# manifests) falls back to default-src 'none' and is refused. MDN's HTTP Observatory
# gives this its best CSP result (+10: default-src 'none', no 'unsafe-*', form-action).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
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

# Cross-Origin-Resource-Policy (cryptovault.security_headers): no other site may load
# our responses as subresources. Nothing of ours is meant to be embedded elsewhere
# (emails carry no images from this host); API clients use CORS, which CORP leaves be.
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
