"""The django-redis client class that answers from local memory while Redis is down.

Settings name it as ``cryptovault.cache_fallback.FallbackClient`` (the package
re-exports it); whether Redis is up is the breaker's business (``.breaker``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import BaseCache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from cryptovault.cache_fallback.breaker import DEFAULT_RETRY_SECONDS, Outage, breaker_for

# The local cache holds every counter of the outage: room for many clients' IPs.
LOCAL_MAX_ENTRIES = 10_000
# django-redis wraps connection errors, timeouts and Redis's own refusals (LOADING,
# READONLY, OOM) in ConnectionInterrupted; the raw ones come from paths it does not
# wrap, and a garbled answer (something else on the port) is a RedisError too.
UNAVAILABLE: tuple[type[Exception], ...] = (ConnectionInterrupted, RedisError, OSError)

T = TypeVar("T")


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
