"""The logging configuration: JSON lines in production, readable text in DEBUG.

Part of the settings (``cryptovault.settings`` binds ``LOGGING``). Every line carries
the request id (SPEC §6); the formatter and filter live in ``cryptovault.logging``.
"""

from __future__ import annotations

from typing import Any


def logging_config(*, debug: bool, level: str) -> dict[str, Any]:
    """Django's LOGGING dict: one console handler, JSON unless ``debug``, at ``level``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "cryptovault.logging.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "cryptovault.logging.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "text" if debug else "json",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Our access log replaces Django's per-request warnings in production.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING" if not debug else "INFO"},
        },
    }
