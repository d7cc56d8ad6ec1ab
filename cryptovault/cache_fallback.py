"""Redis with a way out: the cache keeps answering while Redis is away (SPEC §6).

A django-redis client class (``OPTIONS["CLIENT_CLASS"]``) for the ``default`` and
``ratelimit`` caches. While Redis answers, every call goes to it unchanged: shared by
every process, atomic counters. When a call cannot reach it (refused, timed out, or
Redis answering that it cannot serve), Redis is marked down for
``FALLBACK_RETRY_SECONDS`` and this process answers from a local-memory cache
meanwhile, so prices, single-flight locks, rate-limit and lockout counters keep
working, per process. When the pause is over ONE call tries Redis again (the others
keep to the local cache, so a dead Redis costs one connect timeout per pause, not
one per request); its success ends the outage and the local copies are dropped.
One warning on the way down and one on the way back up, per process.

Why a client class and not a backend of our own: django-ratelimit's system check
trusts ``django_redis.cache.RedisCache`` and warns about any other backend. The
backend here IS django-redis, shared and atomic whenever Redis answers; only during
an outage are the counters per process, which the SPEC prefers to refusing every
client (django-ratelimit fails closed when its counters cannot answer). Counting
locally keeps ``RATELIMIT_FAIL_OPEN = False`` meaningful: nothing fails open.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.core.cache import BaseCache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 5.0
# The local cache holds every counter of the outage: room for many clients' IPs.
LOCAL_MAX_ENTRIES = 10_000
# django-redis wraps connection errors, timeouts and Redis's own refusals (LOADING,
# READONLY, OOM) in ConnectionInterrupted; the raw ones come from paths it does not
# wrap, and a garbled answer (something else on the port) is a RedisError too.
UNAVAILABLE: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError, OSError)

T = TypeVar("T")


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


def cache_outage(cache: BaseCache) -> Outage | None:
    """The outage behind ``cache`` (a django-redis cache with this client), else None."""
    client = getattr(cache, "client", None) if hasattr(cache, "_client_cls") else None
    if isinstance(client, FallbackClient):
        return client.breaker.outage()
    return None


class FallbackClient:
    """django-redis's ``DefaultClient``, answering from local memory while Redis is down.

    Wraps the calls Django's cache API makes (get, set, add, delete, incr...);
    Redis-only calls (ttl, lock, keys...) go to Redis as they are.
    """

    def __init__(self, server: str, params: dict[str, Any], backend: BaseCache) -> None:
        self._redis = DefaultClient(server, params, backend)
        options = params.get("OPTIONS", {})
        retry = float(options.get("FALLBACK_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        self.breaker = breaker_for(server, retry)
        name = f"redis-fallback:{server}:{backend.key_prefix}"
        self._local = LocMemCache(
            name,
            {
                "TIMEOUT": backend.default_timeout,
                "KEY_PREFIX": backend.key_prefix,
                "VERSION": backend.version,
                "OPTIONS": {"MAX_ENTRIES": LOCAL_MAX_ENTRIES},
            },
        )
        self.breaker.local_cache_add(name)

    def _call(self, redis_call: Callable[[], T], local_call: Callable[[], T]) -> T:
        if self.breaker.allows_call():
            started = time.monotonic()
            try:
                answer = redis_call()
            except UNAVAILABLE as error:
                self.breaker.failure_record(error)
            else:
                self.breaker.success_record(started)
                return answer
        return local_call()

    def __getattr__(self, name: str) -> Any:
        if name == "_redis":  # not set yet: __init__ failed part-way
            raise AttributeError(name)
        return getattr(self._redis, name)

    def get(
        self, key: str, default: Any = None, version: int | None = None, client: Any = None
    ) -> Any:
        return self._call(
            lambda: self._redis.get(key, default=default, version=version, client=client),
            lambda: self._local.get(key, default, version),
        )

    def set(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: Any = None,
        nx: bool = False,
        xx: bool = False,
    ) -> bool:
        def local() -> bool:
            if nx:
                return self._local.add(key, value, timeout, version)
            if xx and not self._local.has_key(key, version):
                return False
            self._local.set(key, value, timeout, version)
            return True

        return self._call(
            lambda: self._redis.set(key, value, timeout, version, client, nx, xx), local
        )

    def add(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: Any = None,
    ) -> bool:
        return self._call(
            lambda: self._redis.add(key, value, timeout, version, client),
            lambda: self._local.add(key, value, timeout, version),
        )

    def delete(
        self, key: str, version: int | None = None, prefix: str | None = None, client: Any = None
    ) -> int:
        return self._call(
            lambda: self._redis.delete(key, version, prefix, client),
            lambda: int(self._local.delete(key, version)),
        )

    def delete_many(
        self, keys: Iterable[str], version: int | None = None, client: Any = None
    ) -> Any:
        keys = list(keys)
        if not keys:  # Redis is not asked: no answer, so no news of it either
            return 0

        def local() -> int:
            self._local.delete_many(keys, version)
            return 0

        return self._call(lambda: self._redis.delete_many(keys, version, client), local)

    def clear(self, client: Any = None) -> None:
        self._local.clear()
        self._call(lambda: self._redis.clear(client), lambda: None)

    def get_many(
        self, keys: Iterable[str], version: int | None = None, client: Any = None
    ) -> dict[str, Any]:
        keys = list(keys)
        if not keys:  # Redis is not asked: no answer, so no news of it either
            return {}
        return self._call(
            lambda: self._redis.get_many(keys, version, client),
            lambda: self._local.get_many(keys, version),
        )

    def set_many(
        self,
        data: dict[str, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: Any = None,
    ) -> Any:
        if not data:  # Redis is not asked: no answer, so no news of it either
            return []
        return self._call(
            lambda: self._redis.set_many(data, timeout, version, client),
            lambda: self._local.set_many(data, timeout, version),
        )

    def incr(
        self,
        key: str,
        delta: int = 1,
        version: int | None = None,
        client: Any = None,
        ignore_key_check: bool = False,
    ) -> int:
        def local() -> int:
            try:
                return self._local.incr(key, delta, version)
            except ValueError:
                # Missing here may well mean "held by the Redis that just went away":
                # the count starts again in this process. Raising would make
                # django-ratelimit refuse (fail closed) a client who earned no 429.
                self._local.set(key, delta, version=version)
                return delta

        return self._call(
            lambda: self._redis.incr(key, delta, version, client, ignore_key_check), local
        )

    def decr(self, key: str, delta: int = 1, version: int | None = None, client: Any = None) -> int:
        return self._call(
            lambda: self._redis.decr(key, delta, version, client),
            lambda: self._local.decr(key, delta, version),
        )

    def has_key(self, key: str, version: int | None = None, client: Any = None) -> bool:
        return self._call(
            lambda: self._redis.has_key(key, version, client),
            lambda: self._local.has_key(key, version),
        )

    def touch(
        self,
        key: str,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: Any = None,
    ) -> bool:
        return self._call(
            lambda: self._redis.touch(key, timeout, version, client),
            lambda: self._local.touch(key, timeout, version),
        )

    def incr_version(
        self, key: str, delta: int = 1, version: int | None = None, client: Any = None
    ) -> int:
        return self._call(
            lambda: self._redis.incr_version(key, delta, version, client),
            lambda: self._local.incr_version(key, delta, version),
        )

    def close(self, **kwargs: Any) -> None:
        # Runs at the end of every request and (without CLOSE_CONNECTION) does not talk
        # to Redis: kept away from the breaker, whose retry it would pass as a success.
        with contextlib.suppress(*UNAVAILABLE):
            self._redis.close()
