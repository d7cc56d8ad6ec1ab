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

Two jobs, two modules: ``breaker`` keeps each server's state (up or down, since when,
when to try again) and ``client`` is the class django-redis instantiates.
"""

from cryptovault.cache_fallback.breaker import (
    DEFAULT_RETRY_SECONDS,
    Outage,
    RedisBreaker,
    breaker_for,
    redis_name,
)
from cryptovault.cache_fallback.breaker import (
    _breakers as _breakers,  # the tests forget a server's state between cases through it
)
from cryptovault.cache_fallback.client import (
    LOCAL_MAX_ENTRIES,
    UNAVAILABLE,
    FallbackClient,
    cache_outage,
)

__all__ = [
    "DEFAULT_RETRY_SECONDS",
    "LOCAL_MAX_ENTRIES",
    "UNAVAILABLE",
    "FallbackClient",
    "Outage",
    "RedisBreaker",
    "breaker_for",
    "cache_outage",
    "redis_name",
]
