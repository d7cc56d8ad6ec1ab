"""Which code runs: the installed apps, the middleware stack and the template engine.

Part of the settings (``cryptovault.settings`` binds every setting; this module
builds the long values). The order of both lists matters and is explained inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def installed_apps(*, dev_server: bool) -> list[str]:
    """Django's, the libraries' and ours; daphne's only under ``runserver``.

    daphne's app gives `runserver` its ASGI version (HTTP and websockets in one dev
    process). It loads Twisted (~40 MB of memory) on import, which the production
    processes (gunicorn and uvicorn, see the Procfile) never use.
    """
    return [
        *(["daphne"] if dev_server else []),
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "whitenoise.runserver_nostatic",
        "django.contrib.staticfiles",
        "django.contrib.humanize",
        "channels",
        "rest_framework",
        "rest_framework_simplejwt.token_blacklist",
        "drf_spectacular",
        "drf_spectacular_sidecar",
        "django_ratelimit",
        "csp",
        "anymail",
        "accounts",
        "markets",
        "trading",
        "chains",
    ]


MIDDLEWARE = [
    # First, so that every response (redirects and errors included) carries the id.
    "cryptovault.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cryptovault.security_headers.CrossOriginResourcePolicyMiddleware",  # before static files
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cryptovault.middleware.RateLimitedMiddleware",
    "cryptovault.middleware.SyncChainMiddleware",  # last: see its docstring
]


def templates(*, base_dir: Path) -> list[dict[str, Any]]:
    """One Django template engine: the project's ``templates/`` first, then each app's.

    ``{% load money %}`` is the core's (``cryptovault/money.py``), not an app's: every
    app's pages show dollars the same way."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [base_dir / "templates"],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    "trading.context_processors.trading_terms",
                ],
                "libraries": {"money": "cryptovault.template_money"},
            },
        },
    ]
