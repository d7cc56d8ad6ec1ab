"""The cached single flight: a value refreshed by ONE caller at a time, the others
waiting for its answer (across processes when the cache is Redis).

Every read of market data (the board, a coin's details, a chart) goes through it, so
a crowd arriving on an expired cache costs one upstream call, not one per caller.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

LOCK_SECONDS = 30  # longer than a client call with its retries
WAIT_SECONDS = 15.0  # how long a caller waits for another's refresh

T = TypeVar("T")


def single_flight(
    key: str, produce: Callable[[], T], *, timeout: float, fallback: Callable[[], T]
) -> T:
    """The cached value of ``key``, produced by one caller at a time on a miss.

    The winner of an atomic ``cache.add`` on the lock produces and stores the value;
    everyone else polls the cache for it and falls back after ``WAIT_SECONDS``.
    """
    value = cache.get(key)
    if value is not None:
        return value
    lock, owner = f"{key}:lock", secrets.token_hex(8)
    if cache.add(lock, owner, LOCK_SECONDS):
        try:
            value = produce()
            cache.set(key, value, timeout)
            return value
        finally:
            if cache.get(lock) == owner:
                cache.delete(lock)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        value = cache.get(key)
        if value is not None:
            return value
        if cache.get(lock) is None:
            break
    return fallback()
