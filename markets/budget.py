"""The CoinGecko credit budget: ``COINGECKO_MONTHLY_CREDITS`` spread over the month.

By any moment of a month the feed may have spent the month's credits in proportion
to the time elapsed, plus a small burst allowance, and never more than the month's
total, whatever the number of users. Every request CoinGecko answers spends one
credit (retries included, whatever the status), so the count errs on the safe side;
a request that never reached it (no network) spends none, so a laptop offline for a
day does not find its month's budget gone when it comes back.

A ``Retry-After`` from CoinGecko is kept here too, in the shared cache: until it has
passed no process calls CoinGecko (and so spends no credit), and ``/health`` says so.
"""

from __future__ import annotations

import calendar
import math
import time
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from markets.models import QuotaUsage

BURST_CREDITS = 30  # a cold start may refresh prices, details and a chart at once
RETRY_AFTER_KEY = "coingecko:retry-after-until"  # UNIX seconds, in the shared cache


@dataclass(frozen=True)
class Budget:
    month: date
    credits_used: int
    credits_monthly: int
    credits_allowed_now: int
    retry_after_seconds: float = 0.0

    @property
    def available(self) -> bool:
        return self.credits_used < self.credits_allowed_now

    @property
    def backing_off(self) -> bool:
        """CoinGecko asked us to wait (``Retry-After``) and the wait is not over."""
        return self.retry_after_seconds > 0

    def as_dict(self) -> dict[str, object]:
        state: dict[str, object] = {
            "month": f"{self.month:%Y-%m}",
            "credits_used": self.credits_used,
            "credits_monthly": self.credits_monthly,
            "credits_allowed_now": self.credits_allowed_now,
        }
        if self.backing_off:  # only while it runs: the usual shape stays the same
            state["retry_after_seconds"] = math.ceil(self.retry_after_seconds)
        return state


def _month_start(now: datetime) -> date:
    return now.date().replace(day=1)


def allowance(now: datetime, monthly: int) -> int:
    """Credits that may have been spent by ``now`` in its month."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    seconds_in_month = calendar.monthrange(now.year, now.month)[1] * 86_400
    elapsed = (now - start).total_seconds() / seconds_in_month
    return min(monthly, int(monthly * elapsed) + min(BURST_CREDITS, monthly))


def credits_monthly() -> int:
    """The month's CoinGecko credit budget."""
    return int(settings.COINGECKO_MONTHLY_CREDITS)


def credits_allowed(month: date, now: datetime | None = None) -> int:
    """Credits that may have been spent in ``month`` by ``now``: its share so far while
    it runs (:func:`allowance`), the whole budget for any other month."""
    now = timezone.now() if now is None else now
    if month != _month_start(now):
        return credits_monthly()
    return allowance(now, credits_monthly())


def budget_state(now: datetime | None = None) -> Budget:
    now = timezone.now() if now is None else now
    month = _month_start(now)
    used = QuotaUsage.objects.filter(month=month).values_list("credits_used", flat=True).first()
    wait = retry_after_remaining(now.timestamp())
    return Budget(month, used or 0, credits_monthly(), credits_allowed(month, now), wait)


def credits_available(now: datetime | None = None) -> bool:
    return budget_state(now).available


def credits_spend(now: datetime | None = None) -> None:
    """Count one upstream request against this month's budget."""
    now = timezone.now() if now is None else now
    month = _month_start(now)
    updated = QuotaUsage.objects.filter(month=month).update(credits_used=F("credits_used") + 1)
    if not updated:
        usage, created = QuotaUsage.objects.get_or_create(month=month, defaults={"credits_used": 1})
        if not created:
            QuotaUsage.objects.filter(pk=usage.pk).update(credits_used=F("credits_used") + 1)


# --- Retry-After, shared by every process ------------------------------------------


def retry_after_remaining(now: float | None = None) -> float:
    """Seconds before anyone may call CoinGecko again (0 when it did not ask to wait)."""
    now = time.time() if now is None else now
    until = cache.get(RETRY_AFTER_KEY)
    if until is None:
        return 0.0
    return max(0.0, float(until) - now)


def retry_after_extend(until: float) -> None:
    """Nobody calls CoinGecko before ``until`` (UNIX seconds); a later deadline wins.

    Read-then-write, not atomic: two processes told to wait at once may keep the
    shorter of two nearly equal deadlines, which is harmless."""
    current = cache.get(RETRY_AFTER_KEY)
    if current is not None and float(current) >= until:
        return
    lifetime = max(1, math.ceil(until - time.time()) + 1)  # the key outlives the wait
    cache.set(RETRY_AFTER_KEY, until, lifetime)


class SharedRetryAfter:
    """The client's :class:`~markets.coingecko.RetryAfterStore` in the shared cache."""

    def remaining(self, now: float) -> float:
        return retry_after_remaining(now)

    def extend(self, until: float) -> None:
        retry_after_extend(until)
