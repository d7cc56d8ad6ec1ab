"""Is Redis there? One breaker per Redis server and process, and the outage it reports.

The bookkeeping behind the fallback client (``cryptovault.cache_fallback.client``):
when Redis went away, since when and why, when to try it again, and which local
caches stood in for it (emptied once it is back). It logs the one warning on the way
down and the one on the way back up.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.cache.backends.locmem import LocMemCache
from django_redis.exceptions import ConnectionInterrupted

# The package's name, not this module's: the outage lines keep the logger name that
# operators (and tests/test_outages.py) filter by.
logger = logging.getLogger("cryptovault.cache_fallback")

DEFAULT_RETRY_SECONDS = 5.0


def redis_name(location: str) -> str:
    """The server as logs may show it: scheme, host, port and database, never a password."""
    first = location.split(",")[0]
    parts = urlsplit(first)
    host = parts.hostname or parts.path or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'redis'}://{host}{port}{parts.path if parts.hostname else ''}"


def _describe(error: BaseException) -> str:
    cause = error.__cause__ if isinstance(error, ConnectionInterrupted) else None
    error = cause or error
    return f"{error.__class__.__name__}: {error}"


@dataclass(frozen=True)
class Outage:
    """Redis is away: since when (epoch seconds), why, and how often it is tried again."""

    server: str
    since: float
    error: str
    retry_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": f"Redis unreachable ({self.error}); serving from a process-local cache",
            "down_seconds": round(time.time() - self.since, 1),
            "retry_seconds": self.retry_seconds,
        }


class RedisBreaker:
    """One Redis server's state in this process, shared by every cache (and thread) using it.

    Closed (Redis up): every call goes to Redis. Open (Redis down): calls answer
    locally; once per ``retry_seconds`` one call is let through to try Redis again.
    """

    def __init__(self, location: str, retry_seconds: float) -> None:
        self.server = redis_name(location)
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._down_since: float | None = None  # epoch seconds, for reports
        self._down_at: float = 0.0  # monotonic, to ignore calls older than the outage
        self._retry_at: float = 0.0
        self._error = ""
        self._local_caches: set[str] = set()

    def outage(self) -> Outage | None:
        since = self._down_since
        if since is None:
            return None
        return Outage(self.server, since, self._error, self.retry_seconds)

    def local_cache_add(self, name: str) -> None:
        """A local cache that stands in for this server: emptied when it comes back."""
        with self._lock:
            self._local_caches.add(name)

    def allows_call(self) -> bool:
        """True when this call should go to Redis: always while it is up; while it is
        down, one call per ``retry_seconds`` (it tells whether Redis is back)."""
        if self._down_since is None:
            return True
        with self._lock:
            if self._down_since is None:
                return True
            now = time.monotonic()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_seconds
            return True

    def failure_record(self, error: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            self._retry_at = now + self.retry_seconds
            if self._down_since is not None:
                return
            self._down_since, self._down_at = time.time(), now
            self._error = _describe(error)
        logger.warning(
            "Redis at %s is unreachable (%s): serving from a process-local cache, rate "
            "limits on per-process counters; trying Redis again every %gs",
            self.server,
            self._error,
            self.retry_seconds,
        )

    def success_record(self, started: float) -> None:
        """A call that began at ``started`` (monotonic) was answered by Redis."""
        if self._down_since is None:
            return
        with self._lock:
            # A call that began before the outage was noticed proves nothing.
            if self._down_since is None or started < self._down_at:
                return
            lasted = time.time() - self._down_since
            self._down_since = None
            stale = list(self._local_caches)
        for name in stale:  # the next outage must not resurrect this one's counters
            LocMemCache(name, {}).clear()
        logger.warning(
            "Redis at %s is back after %.0fs: cache and rate limits are shared again",
            self.server,
            lasted,
        )


_breakers: dict[str, RedisBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, retry_seconds: float = DEFAULT_RETRY_SECONDS) -> RedisBreaker:
    """The breaker of the server at ``location``: one per server and process, so an
    outage noticed by one cache spares the others their own timeout."""
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = RedisBreaker(location, retry_seconds)
        return breaker
