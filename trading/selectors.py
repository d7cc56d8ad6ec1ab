"""Trading reads: balances, the portfolio and its P&L, orders and transactions."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from cryptovault.money import q8
from markets.models import PriceTick
from markets.selectors import coin_price_latest
from trading.models import (
    USD,
    Balance,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderStatus,
    OrderType,
    Side,
)

Q4 = Decimal("0.0001")
# Enough digits to divide to a unit price's 18 places below 10^20 (and a cost's own).
_PRICE = Context(prec=settings.PRICE_MAX_DIGITS + settings.MONEY_MAX_DIGITS, rounding=ROUND_HALF_UP)


def orders_waiting_for_price() -> bool:
    """True while any open limit or stop order needs price ticks to fill."""
    return Order.objects.filter(status=OrderStatus.OPEN).exists()


def balances_for(*, user: User) -> QuerySet[Balance]:
    return Balance.objects.filter(user=user).order_by("asset")


def orders_for(
    *, user: User, status: str | None = None, coin: str | None = None
) -> QuerySet[Order]:
    orders = Order.objects.filter(user=user)
    if status:
        orders = orders.filter(status=status)
    if coin:
        orders = orders.filter(coin_id=coin)
    return orders.order_by("-created_at", "-id")


def _moment(value: Any) -> Any:
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
) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(user=user)
    if kind:
        entries = entries.filter(kind=kind)
    if asset:
        entries = entries.filter(asset=asset)
    if since:
        entries = entries.filter(at__gte=_moment(since))
    if until:
        entries = entries.filter(at__lt=_moment(until))
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


@dataclass
class Position:
    coin: str
    quantity: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)  # cost basis of what is held, buy fees included
    realized: Decimal = Decimal(0)

    @property
    def average_cost(self) -> Decimal:
        """A unit price: 18 places, so a coin bought at $0.000000001206 costs that."""
        if not self.quantity:
            return Decimal(0)
        average = _PRICE.divide(self.cost, self.quantity)
        return average.quantize(settings.PRICE_QUANTUM, context=_PRICE)


@dataclass
class Portfolio:
    cash_usd: Decimal
    total_value_usd: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    holdings: list[dict[str, Any]] = field(default_factory=list)


def positions_for(*, user: User) -> dict[str, Position]:
    """Replay the user's fills: weighted-average cost, realized P&L on every sell."""
    positions: dict[str, Position] = {}
    fills = Order.objects.filter(user=user, status=OrderStatus.FILLED).order_by("filled_at", "id")
    for order in fills:
        position = positions.setdefault(order.coin_id, Position(order.coin_id))
        quantity, price = order.filled_quantity, order.average_price or Decimal(0)
        notional = q8(quantity * price)
        if order.side == Side.BUY:
            position.quantity += quantity
            position.cost += notional + order.fee
        else:
            basis = (
                q8(position.cost * quantity / position.quantity)
                if position.quantity
                else Decimal(0)
            )
            position.realized += notional - order.fee - basis
            position.cost -= basis
            position.quantity -= quantity
    return positions


def portfolio_for(*, user: User) -> Portfolio:
    usd = Balance.objects.filter(user=user, asset=USD).first()
    cash = (usd.available + usd.held) if usd else Decimal(0)
    positions = positions_for(user=user)
    rows: list[dict[str, Any]] = []
    for position in positions.values():
        if not position.quantity:
            continue
        tick = coin_price_latest(coin_id=position.coin)
        price = tick.price if tick else None
        value = q8(position.quantity * price) if price is not None else Decimal(0)
        unrealized = value - position.cost if price is not None else Decimal(0)
        rows.append(
            {
                "coin": position.coin,
                "quantity": position.quantity,
                "average_cost": position.average_cost,
                "price": price,
                "value": value,
                "unrealized_pnl": q8(unrealized),
                "unrealized_pnl_pct": (unrealized / position.cost * 100).quantize(Q4)
                if position.cost
                else None,
            }
        )
    total = q8(cash + sum((row["value"] for row in rows), Decimal(0)))
    for row in rows:
        row["allocation_pct"] = (row["value"] / total * 100).quantize(Q4) if total else None
    rows.sort(key=lambda row: row["value"], reverse=True)
    return Portfolio(
        cash_usd=q8(cash),
        total_value_usd=total,
        realized_pnl=q8(sum((p.realized for p in positions.values()), Decimal(0))),
        unrealized_pnl=q8(sum((row["unrealized_pnl"] for row in rows), Decimal(0))),
        holdings=rows,
    )


def open_orders_count(*, user: User) -> int:
    return Order.objects.filter(user=user, status=OrderStatus.OPEN).count()


ORDER_TYPES = OrderType.values


def portfolio_history(*, user: User, points: int = 120) -> list[list[float]]:
    """Total value (cash + coins at the price of the time) at ``points`` moments from the
    first ledger entry to now: ``[[ms since the epoch, value in USD], ...]``.

    Holdings come from the ledger (every entry but holds and releases changes what is
    owned), prices from the stored ticks: the newest at or before each moment.
    """
    entries = list(
        LedgerEntry.objects.filter(user=user)
        .exclude(kind__in=[LedgerKind.HOLD, LedgerKind.RELEASE])
        .order_by("at", "id")
        .values_list("at", "asset", "amount")
    )
    if not entries:
        return []
    start, end = entries[0][0], timezone.now()
    coins = sorted({asset for _, asset, _ in entries if asset != USD})
    ticks: dict[str, tuple[list[datetime], list[Decimal]]] = {}
    for coin in coins:
        rows = list(
            PriceTick.objects.filter(coin_id=coin, at__lte=end)
            .order_by("at")
            .values_list("at", "price")
        )
        ticks[coin] = ([at for at, _ in rows], [price for _, price in rows])
    span = (end - start) / max(points - 1, 1)
    owned: dict[str, Decimal] = {}
    history: list[list[float]] = []
    index = 0
    for step in range(points):
        moment = start + span * step
        while index < len(entries) and entries[index][0] <= moment:
            _, asset, amount = entries[index]
            owned[asset] = owned.get(asset, Decimal(0)) + amount
            index += 1
        value = owned.get(USD, Decimal(0))
        for coin in coins:
            times, prices = ticks[coin]
            at = bisect_right(times, moment) - 1
            if at >= 0 and owned.get(coin):
                value += owned[coin] * prices[at]
        history.append([int(moment.timestamp() * 1000), float(q8(value))])
    return history
