"""The operators' overview: the numbers the admin's overview page shows, read only.

People, orders and money today, the price feed and its CoinGecko budget, emails that
failed and the latest audit events, all in one read. It lives in trading because
trading is the app that may read the others (markets and accounts); nothing here
writes, and nothing calls an upstream service.

"Today" is the current UTC day (``TIME_ZONE`` is UTC), the day the admin shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Abs
from django.utils import timezone

from accounts.models import AuditEvent, SentEmail, User
from markets.budget import Budget, budget_state
from markets.feed import LEADER_KEY
from trading.models import USD, LedgerEntry, LedgerKind, Order, OrderStatus

EMAIL_FAILURES_WINDOW = timedelta(hours=24)
RECENT_AUDIT_EVENTS = 15
RECENT_EMAIL_FAILURES = 5


@dataclass(frozen=True)
class Overview:
    """What an operator reads first: is the product used, is it healthy."""

    day_start: datetime
    users_total: int
    users_verified: int
    users_new_today: int
    orders_today: int
    volume_today_usd: Decimal
    orders_open: int
    feed_leader: str | None
    price_source_mode: str
    budget: Budget
    email_failures: int
    email_failures_recent: list[SentEmail]
    audit_recent: list[AuditEvent]

    @property
    def budget_used_pct(self) -> Decimal:
        """The month's credits spent, as a percentage of the month's budget."""
        if not self.budget.credits_monthly:
            return Decimal(0)
        return Decimal(100) * self.budget.credits_used / self.budget.credits_monthly


def day_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def trade_volume_usd(*, since: datetime) -> Decimal:
    """Dollars traded since ``since``: the size of every fill's USD leg (buys and sells
    alike), fees not included. Exact on both databases: SQLite's ``SUM`` is floating
    point, so there the entries are read as Decimals and summed here."""
    legs = LedgerEntry.objects.filter(asset=USD, kind=LedgerKind.TRADE, at__gte=since)
    if connection.vendor == "postgresql":
        total = legs.aggregate(total=Sum(Abs("amount")))["total"]
        return total or Decimal(0)
    amounts = legs.order_by().values_list("amount", flat=True)
    return sum((abs(amount) for amount in amounts.iterator(chunk_size=5000)), Decimal(0))


def operations_overview(*, now: datetime | None = None) -> Overview:
    """The overview's numbers at ``now`` (the current time unless given)."""
    now = timezone.now() if now is None else now
    start = day_start(now)
    failed = SentEmail.objects.filter(
        status=SentEmail.Status.FAILED, created_at__gte=now - EMAIL_FAILURES_WINDOW
    )
    return Overview(
        day_start=start,
        users_total=User.objects.count(),
        users_verified=User.objects.filter(email_verified_at__isnull=False).count(),
        users_new_today=User.objects.filter(date_joined__gte=start).count(),
        orders_today=Order.objects.filter(created_at__gte=start).count(),
        volume_today_usd=trade_volume_usd(since=start),
        orders_open=Order.objects.filter(status=OrderStatus.OPEN).count(),
        feed_leader=cache.get(LEADER_KEY),
        price_source_mode=settings.PRICE_SOURCE,
        budget=budget_state(now),
        email_failures=failed.count(),
        email_failures_recent=list(failed.order_by("-created_at", "-id")[:RECENT_EMAIL_FAILURES]),
        audit_recent=list(
            AuditEvent.objects.select_related("user").order_by("-at", "-id")[:RECENT_AUDIT_EVENTS]
        ),
    )
