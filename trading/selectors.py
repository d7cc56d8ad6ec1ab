"""Trading reads: balances, the portfolio and its P&L, orders and transactions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, localcontext
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from accounts.models import User
from markets.models import Coin
from trading.models import (
    Balance,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderStatus,
    OrderType,
)

# The portfolio's reads live in trading/portfolio.py; named here too for callers that
# read every trading selector from this module.
from trading.portfolio import (  # noqa: F401
    Portfolio,
    Position,
    portfolio_for,
    portfolio_history,
    positions_for,
)


def orders_waiting_for_price() -> bool:
    """True while any open limit or stop order needs price ticks to fill."""
    return Order.objects.filter(status=OrderStatus.OPEN).exists()


def balances_for(*, user: User) -> QuerySet[Balance]:
    return Balance.objects.filter(user=user).order_by("asset")


def orders_for(
    *, user: User, status: str | None = None, coin: str | None = None
) -> QuerySet[Order]:
    orders = Order.objects.filter(user=user).select_related("coin")
    if status:
        orders = orders.filter(status=status)
    if coin:
        orders = orders.filter(coin_id=coin)
    return orders.order_by("-created_at", "-id")


def moment_utc(value: Any) -> Any:
    """Dates mean midnight UTC; datetimes without an offset are UTC too."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=UTC)
    return value


def transactions_for(
    *,
    user: User,
    kind: str | None = None,
    asset: str | None = None,
    since: Any = None,
    until: Any = None,
    order_id: int | None = None,
) -> QuerySet[LedgerEntry]:
    """The user's ledger entries, newest first; ``asset`` is the ledger's name (``USD`` or
    a coin id: ``trading.assets.asset_resolve`` reads a symbol), ``order_id`` one order's
    entries. Each carries its coin's ``coin_name`` and ``coin_symbol`` (None for USD)."""
    coin = Coin.objects.filter(pk=OuterRef("asset"))
    entries = LedgerEntry.objects.filter(user=user).annotate(
        coin_name=Subquery(coin.values("name")[:1]),
        coin_symbol=Subquery(coin.values("symbol")[:1]),
    )
    if kind:
        entries = entries.filter(kind=kind)
    if asset:
        entries = entries.filter(asset=asset)
    if order_id is not None:
        entries = entries.filter(order_id=order_id)
    if since:
        entries = entries.filter(at__gte=moment_utc(since))
    if until:
        entries = entries.filter(at__lt=moment_utc(until))
    return entries.order_by("-at", "-id")


def ledger_sums() -> dict[tuple[int, str], tuple[Decimal, Decimal]]:
    """What the ledger says each balance is: ``{(user id, asset): (available, held)}``.

    Exact on both databases: PostgreSQL sums ``numeric`` exactly; SQLite's ``SUM`` is
    floating point (``990.998956180001`` for ``990.99895618``), so there the entries are
    read as Decimals and summed here.
    """
    held_kinds = [LedgerKind.HOLD, LedgerKind.RELEASE]
    sums: dict[tuple[int, str], tuple[Decimal, Decimal]] = {}
    if connection.vendor == "postgresql":
        rows = LedgerEntry.objects.values("user_id", "asset").annotate(
            available=Sum("amount"), holds=Sum("amount", filter=Q(kind__in=held_kinds))
        )
        for row in rows.order_by():
            holds = row["holds"] or Decimal(0)
            sums[(row["user_id"], row["asset"])] = (row["available"], -holds)
        return sums
    entries = LedgerEntry.objects.order_by().values_list("user_id", "asset", "kind", "amount")
    with localcontext() as context:
        # Rows come in any order: a partial sum may pass 10^20 before coming back, so
        # it gets more digits than a balance (28) to stay exact.
        context.prec = 2 * settings.MONEY_MAX_DIGITS
        for user_id, asset, kind, amount in entries.iterator(chunk_size=5000):
            available, held = sums.get((user_id, asset), (Decimal(0), Decimal(0)))
            sums[(user_id, asset)] = (
                available + amount,
                held - amount if kind in held_kinds else held,
            )
    return sums


def open_orders_count(*, user: User) -> int:
    return Order.objects.filter(user=user, status=OrderStatus.OPEN).count()


ORDER_TYPES = OrderType.values
