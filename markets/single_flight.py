"""The cached single flight: a value refreshed by ONE caller at a time, the others
served the previous value meanwhile (across processes when the cache is Redis).

Every read of market data (the board, a coin's details, a chart) goes through it, so
a crowd arriving on an expired cache costs one upstream call, not one per caller, and
only the caller that refreshes waits for it: the others are answered at once from the
previous value (stale-while-revalidate). A caller waits only when there is no
previous value at all (a cold cache).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

LOCK_SECONDS = 30  # longer than a client call with its retries
WAIT_SECONDS = 15.0  # how long a caller waits for another's refresh (cold cache only)

T = TypeVar("T")


def stale_key(key: str) -> str:
    """Where the previous value of ``key`` stays servable while it is refreshed."""
    return f"{key}:stale"


def single_flight(
    key: str, produce: Callable[[], T], *, timeout: float, fallback: Callable[[], T]
) -> T:
    """The cached value of ``key``, produced by one caller at a time on a miss.

    The winner of an atomic ``cache.add`` on the lock produces and stores the value;
    everyone else gets the previous value (kept one more ``timeout`` after it
    expires) or, on a cold cache, polls for the winner's and falls back after
    ``WAIT_SECONDS``.
    """
    value = cache.get(key)
    if value is not None:
        return value
    lock, owner = f"{key}:lock", secrets.token_hex(8)
    if cache.add(lock, owner, LOCK_SECONDS):
        try:
            # Another caller may have stored it between our read and our lock.
            value = cache.get(key)
            if value is None:
                value = produce()
                cache.set(key, value, timeout)
                cache.set(stale_key(key), value, 2 * timeout)
            return value
        finally:
            if cache.get(lock) == owner:
                cache.delete(lock)
    previous = cache.get(stale_key(key))
    if previous is not None:
        return previous
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        value = cache.get(key)
        if value is not None:
            return value
        if cache.get(lock) is None:
            break
    return fallback()
