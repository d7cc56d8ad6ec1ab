"""Rate limits: one counter per (group, key), shared by every door that leads to an action.

Built on django-ratelimit's counting (fixed windows on the shared ``ratelimit``
cache, so limits hold across processes when the cache is Redis). While Redis is
away that cache counts in each process (``cryptovault.cache_fallback``, logged once
per outage) and goes back to Redis when it returns: the limits keep holding, per
process, instead of refusing everyone. Two ways in:

- ``limit_check(group=..., key=..., rate=...)`` for a service: the rule lives where
  the action happens (placing an order, changing a password), so a page, the API
  and any future door share one allowance;
- ``limited(group, rate)`` to decorate a view function counted per client IP.

Both raise ``RateLimited``, a ``DomainError`` with status 429 that carries the
seconds left in the window: the API turns it into ``Retry-After``, pages into the
429 page with the same header.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from django_ratelimit import UNSAFE
from django_ratelimit.core import get_usage
from rest_framework import status

from cryptovault.client_ip import client_ip
from cryptovault.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])

RATE_LIMITED_MESSAGE = "Too many requests. Try again later."


class RateLimited(DomainError):
    """A limit was reached; ``retry_after`` is the number of seconds until it resets."""

    def __init__(self, retry_after: int, message: str = RATE_LIMITED_MESSAGE) -> None:
        super().__init__("rate_limited", message, status_code=status.HTTP_429_TOO_MANY_REQUESTS)
        self.retry_after = max(1, int(retry_after))


def limit_check(*, group: str, key: str, rate: str, message: str = RATE_LIMITED_MESSAGE) -> None:
    """Count one use of ``group`` by ``key``; raise ``RateLimited`` past ``rate``.

    Should the counter store still fail to answer (the fallback makes that rare),
    django-ratelimit's RATELIMIT_FAIL_OPEN decides; its "limit everything" answer
    has no window, so it retries in a minute.
    """
    usage = get_usage(
        None, group=group, key=lambda _group, _request: key, rate=rate, increment=True
    )
    if usage is not None and usage["should_limit"]:
        time_left = usage["time_left"]
        # The window still holds during its last second: a client that waits exactly
        # Retry-After seconds must get through, so the answer is time_left + 1.
        raise RateLimited(time_left + 1 if time_left >= 0 else 60, message)


def limited(group: str, rate: str, *, methods: tuple[str, ...] = UNSAFE) -> Callable[[F], F]:
    """Decorate a view function: its ``methods`` requests are limited per client IP."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            http_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
            if http_request.method in methods:
                limit_check(group=group, key=f"ip:{client_ip(http_request)}", rate=rate)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
