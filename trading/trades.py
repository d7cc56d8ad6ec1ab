"""Trades: one row per fill, as the trades page and the Ghostfolio export show them.

An order fills whole, at one price (a market order at once, a limit or a stop on the
tick that reaches it), so a fill is a filled order: its quantity, price and fee, and
the dollars it moved, which are the ledger's own (the trade entry's notional to the
8th place, the fee entry beside it). Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from cryptovault.money import q8
from markets.models import Coin
from trading.models import Order, OrderStatus, Side
from trading.selectors import moment_utc


@dataclass(frozen=True)
class Trade:
    """One fill: what was bought or sold, at what price, for what fee and total."""

    order_id: int
    at: datetime
    coin: Coin
    side: str
    type: str
    quantity: Decimal
    price: Decimal
    fee: Decimal

    @property
    def side_label(self) -> str:
        return Side(self.side).label

    @property
    def notional(self) -> Decimal:
        """Quantity x price to the 8th place: what the ledger's trade entry moved."""
        return q8(self.quantity * self.price)

    @property
    def total(self) -> Decimal:
        """What a buy paid or a sell received in USD, the fee included."""
        if self.side == Side.BUY:
            return self.notional + self.fee
        return self.notional - self.fee


def trades_for(
    *, user: User, since: Any = None, until: Any = None, oldest_first: bool = False
) -> QuerySet[Order]:
    """The user's fills (filled orders with their coin), newest first unless told;
    ``since`` is inclusive, ``until`` exclusive, dates meaning midnight UTC."""
    fills = Order.objects.filter(user=user, status=OrderStatus.FILLED).select_related("coin")
    if since:
        fills = fills.filter(filled_at__gte=moment_utc(since))
    if until:
        fills = fills.filter(filled_at__lt=moment_utc(until))
    if oldest_first:
        return fills.order_by("filled_at", "id")
    return fills.order_by("-filled_at", "-id")


def trade_from(order: Order) -> Trade:
    """The fill of a filled order."""
    assert order.filled_at is not None and order.average_price is not None
    return Trade(
        order_id=order.pk,
        at=order.filled_at,
        coin=order.coin,
        side=order.side,
        type=order.type,
        quantity=order.filled_quantity,
        price=order.average_price,
        fee=order.fee,
    )
