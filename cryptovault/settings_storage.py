"""Where state lives: the database connection, the caches and the channel layer.

Part of the settings (``cryptovault.settings`` reads the environment and binds every
setting; this module builds the long values). Two shapes: the embedded default
(SQLite file, local-memory caches, in-memory channel layer, one process) and
production (PostgreSQL, Redis shared by every process, SPEC §6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SQLITE_ENGINES = ("django.db.backends.sqlite3", "cryptovault.db.sqlite3")

# Per-process memo in front of the shared cache for the hottest read (the price
# board): a second at most, so every process still follows the shared value.
PROCESS_CACHE: dict[str, Any] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "process",
    "TIMEOUT": 1,
}

LOCAL_CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def database_tuned(database: dict[str, Any], *, var_dir: Path) -> dict[str, Any]:
    """``database`` (parsed from DATABASE_URL) with this project's connection options."""
    tuned = {**database, "CONN_HEALTH_CHECKS": True}
    options = dict(tuned.get("OPTIONS", {}))
    if tuned["ENGINE"] in SQLITE_ENGINES:
        # Django's SQLite keeps a decimal as a float (15 digits); ours keeps it exact as
        # text (cryptovault/db/sqlite3/base.py says how).
        tuned["ENGINE"] = "cryptovault.db.sqlite3"
        var_dir.mkdir(exist_ok=True)
        options["timeout"] = 20
        # Writers take SQLite's lock at BEGIN, so a transaction that reads balances and
        # then writes them can never be overtaken (SQLite has no SELECT ... FOR UPDATE).
        options["transaction_mode"] = "IMMEDIATE"
    else:
        tuned["CONN_MAX_AGE"] = 60
        options.setdefault("connect_timeout", 5)
    tuned["OPTIONS"] = options
    return tuned


def redis_caches(redis_url: str) -> dict[str, dict[str, Any]]:
    """The ``default`` and ``ratelimit`` caches on Redis, each with a way out.

    django-redis with our client class (cryptovault.cache_fallback): when Redis is
    down, both caches answer from process-local memory and Redis is tried again every
    FALLBACK_RETRY_SECONDS, so prices, rate limits and the login lockout keep working
    (per process, logged once) and come back to Redis by themselves (SPEC §6). The
    backend stays django-redis's: shared and atomic while Redis is up.
    """
    options: dict[str, Any] = {
        "CLIENT_CLASS": "cryptovault.cache_fallback.FallbackClient",
        "FALLBACK_RETRY_SECONDS": 5,
        "SOCKET_CONNECT_TIMEOUT": 1,
        "SOCKET_TIMEOUT": 2,
    }
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "cv",
            "OPTIONS": options,
        },
        # Rate-limit and lockout counters: on Redis, or counted per process during an
        # outage (never a 429 that no client earned, never a limit that fails open).
        "ratelimit": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "cv:rl",
            "OPTIONS": {**options, "SOCKET_TIMEOUT": 1},
        },
    }


def local_caches() -> dict[str, dict[str, Any]]:
    """The ``default`` and ``ratelimit`` caches in this process's memory (embedded mode)."""
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ratelimit",
        },
    }


def redis_channel_layers(redis_url: str) -> dict[str, dict[str, Any]]:
    """The websocket groups on Redis, shared by every server process."""
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "cv:channels"},
        }
    }
