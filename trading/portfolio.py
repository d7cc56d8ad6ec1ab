"""The portfolio (reads only): positions replayed from fills, their value at the latest
prices, what open orders reserve, the return since the account was funded, and the
total value over time.

Percentages are rounded half up to 4 places, as every displayed number is
(``cryptovault.display``); ``static/js/portfolio.js`` recomputes the same numbers with
the same rules when a price ticks.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, User
from cryptovault.money import q8
from markets.models import Coin, PriceTick
from markets.selectors import coin_price_latest
from trading.models import USD, Balance, LedgerEntry, LedgerKind, Order, OrderStatus, Side

Q4 = Decimal("0.0001")
HUNDRED = Decimal(100)
# Enough digits to divide to a unit price's 18 places below 10^20 (and a cost's own).
_PRICE = Context(prec=settings.PRICE_MAX_DIGITS + settings.MONEY_MAX_DIGITS, rounding=ROUND_HALF_UP)

# The value chart's ranges (GET /api/portfolio/history?range=): how far back each
# looks; "all" starts at the account's first ledger entry.
HISTORY_RANGES: dict[str, timedelta | None] = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
HISTORY_RANGE_DEFAULT = "all"
HISTORY_POINTS = 120
# The audit action of a paper-account reset (trading.services.funding.account_reset).
RESET_ACTION = "account_reset"


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``, 4 places rounded half up; None of nothing."""
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Q4, rounding=ROUND_HALF_UP)


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


@dataclass(frozen=True)
class AllocationSlice:
    """One part of the total value (a coin, or the cash), for the allocation chart."""

    key: str  # the coin id, or "USD"
    name: str
    symbol: str
    value: Decimal
    pct: Decimal  # of the total value
    start: Decimal  # the percentage before this slice: where it starts on the donut


@dataclass
class Portfolio:
    """The SPEC §7 portfolio (the first five fields, which GET /api/portfolio shows as
    they are), and what the page shows beside it."""

    cash_usd: Decimal
    total_value_usd: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    holdings: list[dict[str, Any]] = field(default_factory=list)
    cash_reserved: Decimal = Decimal(0)  # USD held by open buys (in cash_usd)
    invested_usd: Decimal = Decimal(0)  # every USD deposit: the starting balance and credits
    return_usd: Decimal = Decimal(0)  # total value less what was deposited
    return_pct: Decimal | None = None

    @property
    def cash_available(self) -> Decimal:
        return self.cash_usd - self.cash_reserved

    @property
    def allocation(self) -> list[AllocationSlice]:
        """The holdings by value, then the cash: what each is of the total."""
        parts = [(row["coin"], row["name"], row["symbol"], row["value"]) for row in self.holdings]
        parts.append((USD, "Cash", USD, self.cash_usd))
        slices, start = [], Decimal(0)
        for key, name, symbol, value in parts:
            pct = percent_of(value, self.total_value_usd) or Decimal(0)
            slices.append(AllocationSlice(key, name, symbol, value, pct, start))
            start += pct
        return slices


def account_start(*, user: User) -> datetime | None:
    """When the paper account last started over (its last reset), or None if it never did.

    A reset (``trading.services.funding.account_reset``) writes its ledger entries, then
    its audit event, in one transaction: every entry and fill after this moment belongs
    to the fresh account. The ledger alone cannot tell a reset's deposit from a credit.
    """
    resets = AuditEvent.objects.filter(user=user, action=RESET_ACTION).order_by("-at")
    return resets.values_list("at", flat=True).first()


def positions_for(*, user: User, since: datetime | None = None) -> dict[str, Position]:
    """Replay the user's fills (those after ``since`` when given): weighted-average cost,
    realized P&L on every sell."""
    positions: dict[str, Position] = {}
    fills = Order.objects.filter(user=user, status=OrderStatus.FILLED)
    if since is not None:
        fills = fills.filter(filled_at__gt=since)
    fills = fills.order_by("filled_at", "id")
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


def _held(*, user: User) -> dict[str, Decimal]:
    """What open orders reserve, per asset: USD for buys, the coin for sells."""
    rows = Balance.objects.filter(user=user, held__gt=0).values_list("asset", "held")
    return dict(rows)


def invested_usd(*, user: User, since: datetime | None = None) -> Decimal:
    """What the trader was given to trade with: every USD deposit (the demo starting
    balance and any credit since), or after a reset at ``since``, the dollars the reset
    left (all the account held then) and the deposits after it."""
    usd = LedgerEntry.objects.filter(user=user, asset=USD)
    deposits = usd.filter(kind=LedgerKind.DEPOSIT)
    start = Decimal(0)
    if since is not None:
        deposits = deposits.filter(at__gt=since)
        last = usd.filter(at__lte=since).order_by("-at", "-id").first()
        start = last.balance_after if last else Decimal(0)
    # Decimals summed here: SQLite's SUM is a float (see selectors.ledger_sums).
    return start + sum(deposits.values_list("amount", flat=True), Decimal(0))


def portfolio_for(*, user: User) -> Portfolio:
    """Cash, holdings at the latest prices, P&L, what open orders hold, and the return."""
    usd = Balance.objects.filter(user=user, asset=USD).first()
    cash = (usd.available + usd.held) if usd else Decimal(0)
    held = _held(user=user)
    since = account_start(user=user)
    positions = positions_for(user=user, since=since)
    coins = Coin.objects.in_bulk([coin for coin, p in positions.items() if p.quantity])
    rows: list[dict[str, Any]] = []
    for position in positions.values():
        if not position.quantity:
            continue
        tick = coin_price_latest(coin_id=position.coin)
        price = tick.price if tick else None
        value = q8(position.quantity * price) if price is not None else Decimal(0)
        unrealized = value - position.cost if price is not None else Decimal(0)
        coin = coins.get(position.coin)
        rows.append(
            {
                "coin": position.coin,
                "name": coin.name if coin else position.coin,
                "symbol": coin.symbol.upper() if coin else position.coin.upper(),
                "quantity": position.quantity,
                "reserved": held.get(position.coin, Decimal(0)),
                "cost": position.cost,
                "average_cost": position.average_cost,
                "price": price,
                "value": value,
                "unrealized_pnl": q8(unrealized),
                "unrealized_pnl_pct": percent_of(unrealized, position.cost),
            }
        )
    total = q8(cash + sum((row["value"] for row in rows), Decimal(0)))
    for row in rows:
        row["allocation_pct"] = percent_of(row["value"], total)
    rows.sort(key=lambda row: row["value"], reverse=True)
    invested = invested_usd(user=user, since=since)
    return Portfolio(
        cash_usd=q8(cash),
        total_value_usd=total,
        realized_pnl=q8(sum((p.realized for p in positions.values()), Decimal(0))),
        unrealized_pnl=q8(sum((row["unrealized_pnl"] for row in rows), Decimal(0))),
        holdings=rows,
        cash_reserved=held.get(USD, Decimal(0)),
        invested_usd=invested,
        return_usd=total - invested,
        return_pct=percent_of(total - invested, invested),
    )


def _ticks(coin: str, start: datetime, end: datetime) -> tuple[list[datetime], list[Decimal]]:
    """A coin's stored prices from the last one at or before ``start`` up to ``end``."""
    ticks = PriceTick.objects.filter(coin_id=coin)
    before = ticks.filter(at__lte=start).order_by("-at").values_list("at", "price")[:1]
    rows = [
        *before,
        *ticks.filter(at__gt=start, at__lte=end).order_by("at").values_list("at", "price"),
    ]
    return [at for at, _ in rows], [price for _, price in rows]


def portfolio_values(
    *,
    user: User,
    range_: str = HISTORY_RANGE_DEFAULT,
    points: int = HISTORY_POINTS,
    now: datetime | None = None,
) -> list[tuple[datetime, Decimal]]:
    """Total value (cash + coins at the price of the time) at ``points`` evenly spaced
    moments up to now, over ``range_`` (a key of :data:`HISTORY_RANGES`) but never
    before the account's first ledger entry, nor before its last reset.

    Holdings come from the ledger (every entry but holds and releases changes what is
    owned; a held amount is still owned), prices from the stored ticks: the newest at
    or before each moment. Values are exact Decimals to 8 places.
    """
    entries = list(
        LedgerEntry.objects.filter(user=user)
        .exclude(kind__in=[LedgerKind.HOLD, LedgerKind.RELEASE])
        .order_by("at", "id")
        .values_list("at", "asset", "amount")
    )
    if not entries:
        return []
    end = now or timezone.now()
    start = max(entries[0][0], account_start(user=user) or entries[0][0])
    back = HISTORY_RANGES[range_]
    if back is not None:
        start = max(start, end - back)
    coins = sorted({asset for _, asset, _ in entries if asset != USD})
    ticks = {coin: _ticks(coin, start, end) for coin in coins}
    span = (end - start) / max(points - 1, 1)
    owned: dict[str, Decimal] = {}
    values: list[tuple[datetime, Decimal]] = []
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
        values.append((moment, q8(value)))
    return values


def portfolio_history(
    *, user: User, points: int = HISTORY_POINTS, range_: str = HISTORY_RANGE_DEFAULT
) -> list[list[float]]:
    """:func:`portfolio_values` as chart points: ``[[ms since the epoch, USD], ...]``."""
    return [
        [int(moment.timestamp() * 1000), float(value)]
        for moment, value in portfolio_values(user=user, range_=range_, points=points)
    ]
