"""The logged-in home's reads: the account's value and its change over the last day,
the top holdings, open orders and the watched coins. Reads only.

The day's change is what the account gained or lost in value, not what it was given:
the value now less the value 24 hours ago (or at the account's start or last reset,
when later), less the dollars deposited since (an operator's credit is not a gain).
The values come from ``trading.portfolio``'s value history, so the home and the
portfolio chart agree to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from cryptovault.money import q8
from markets.models import Coin, PriceTick
from markets.selectors import coin_price_latest, watchlist_coins
from trading.models import USD, LedgerEntry, LedgerKind, Order, OrderStatus
from trading.portfolio import Portfolio, percent_of, portfolio_for, portfolio_values

DAY = timedelta(days=1)
TOP_HOLDINGS = 5


@dataclass(frozen=True)
class DayChange:
    """The change of the total value since ``since`` (24 h ago, or the account's start
    when later): ``amount`` in USD, ``pct`` of the value then (None from nothing).
    ``baseline`` is the value then plus the deposits since: the live page keeps
    ``total - baseline`` as the change while prices move."""

    amount: Decimal
    pct: Decimal | None
    since: datetime
    baseline: Decimal
    full_day: bool  # False when the account is younger than a day (or was reset today)


@dataclass(frozen=True)
class WatchedCoin:
    id: str
    name: str
    symbol: str
    price: Decimal | None
    change_24h_pct: Decimal | None


@dataclass
class Dashboard:
    portfolio: Portfolio
    day_change: DayChange | None
    holdings: list[dict[str, Any]]  # the largest TOP_HOLDINGS, by value
    holdings_more: int  # how many more the portfolio holds
    open_orders_count: int
    latest_open_order: Order | None
    watchlist: list[WatchedCoin] = field(default_factory=list)


def day_change_for(*, user: User, now: datetime | None = None) -> DayChange | None:
    """The value's change over the last day; None for an account with no ledger yet."""
    end = now or timezone.now()
    values = portfolio_values(user=user, range_="1d", points=2, now=end)
    if not values:
        return None
    (since, then), (_, value_now) = values[0], values[-1]
    # Dollars given after the start are not a gain: an operator's credit. (A reset's
    # own deposits are at or before its moment, which is then the start.)
    deposits = LedgerEntry.objects.filter(
        user=user, asset=USD, kind=LedgerKind.DEPOSIT, at__gt=since, at__lte=end
    ).values_list("amount", flat=True)
    baseline = then + sum(deposits, Decimal(0))  # Decimals: SQLite's SUM is a float
    amount = q8(value_now - baseline)
    return DayChange(
        amount=amount,
        pct=percent_of(amount, baseline),
        since=since,
        baseline=q8(baseline),
        full_day=since <= end - DAY,
    )


def watchlist_for(*, user: User) -> list[WatchedCoin]:
    """The coins the user watches (in the order starred) with their latest price."""
    rows = []
    for coin in watchlist_coins(user=user):
        tick: PriceTick | None = coin_price_latest(coin_id=coin.id)
        rows.append(
            WatchedCoin(
                id=coin.id,
                name=coin.name,
                symbol=coin.symbol.upper(),
                price=tick.price if tick else None,
                change_24h_pct=tick.change_24h_pct if tick else None,
            )
        )
    return rows


def dashboard_for(*, user: User) -> Dashboard:
    """Everything the logged-in home shows, read once."""
    portfolio = portfolio_for(user=user)
    holdings = portfolio.holdings[:TOP_HOLDINGS]
    coins = Coin.objects.in_bulk([row["coin"] for row in holdings])
    for row in holdings:
        coin = coins.get(row["coin"])
        row.setdefault("name", coin.name if coin else row["coin"])
        row.setdefault("symbol", coin.symbol.upper() if coin else row["coin"].upper())
    open_orders = Order.objects.filter(user=user, status=OrderStatus.OPEN)
    return Dashboard(
        portfolio=portfolio,
        day_change=day_change_for(user=user),
        holdings=holdings,
        holdings_more=max(0, len(portfolio.holdings) - TOP_HOLDINGS),
        open_orders_count=open_orders.count(),
        latest_open_order=open_orders.select_related("coin").order_by("-created_at", "-id").first(),
        watchlist=watchlist_for(user=user),
    )
