"""Orders: placing and cancelling them (demo dollars are ``trading.services.funding``).

Each function is one transaction; the rules an order must meet before anything is
written are ``trading.order_rules``. Limit orders hold what they may spend and fill
at their limit price on the first tick that touches or crosses it; stop orders hold
the same way and, on the tick that reaches the stop, execute at that tick's price
(``trading.services.matching``). A change is announced after commit
(``cryptovault.events.orders_changed``), for the owner's open pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Unpack

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_event, audit_logged, audit_record
from accounts.models import AuditEvent, User
from cryptovault.events import orders_changed_announce
from cryptovault.limits import limit_check
from markets.models import Coin
from trading.errors import TradingError
from trading.fees import trade_value
from trading.models import USD, Order, OrderStatus, OrderType, Side
from trading.order_rules import (
    OrderBody,
    OrderFields,
    coin_tradable,
    market_price,
    market_price_unrefreshed,
    order_body_check,
    order_replay_check,
    order_size,
)
from trading.services.ledger import (
    Batch,
    balances_locked,
    balances_locked_with_tick,
    hold,
    order_hold_release,
    order_settle,
)
from trading.services.order_write import order_write

# SPEC §4: orders per user and minute, counted here so that every door (the API,
# the page ticket, anything later) shares one allowance.
ORDERS_RATE = "20/m"


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool


def orders_changed_after_commit(orders: list[Order]) -> None:
    """Announce the orders' change once the current transaction commits."""
    transaction.on_commit(lambda: orders_changed_announce(orders=orders))


def order_place(
    *, user: User, client_order_id: str | None = None, **fields: Unpack[OrderFields]
) -> Placed:
    """Place an order, or write nothing and raise ``TradingError``.

    A repeated ``client_order_id`` with the same body returns the first order unchanged;
    with another body it is a 409 ``idempotency_conflict`` (also when two requests race).
    The unique constraint finds the first order (``ClientOrderIdTaken``), not a lookup
    before every order; a retry that would now be refused (the price gone stale, the
    money spent) still gets its first order back.
    """
    limit_check(
        group="orders:place",
        key=f"user:{user.pk}",
        rate=ORDERS_RATE,
        message="Too many orders in a minute. Wait a moment and try again.",
    )
    body = order_body_check(**fields)
    try:
        coin = coin_tradable(body.coin_id)
    except TradingError:
        if (first := _first_order(user, client_order_id, body)) is not None:
            return Placed(first, created=False)
        raise
    try:
        try:
            with transaction.atomic():
                order, event = _order_create(user, coin, body, client_order_id, None)
        except _PriceToRefresh:
            # Refreshed with no lock held (markets may call CoinGecko), then placed at it.
            price = market_price(coin)
            with transaction.atomic():
                order, event = _order_create(user, coin, body, client_order_id, price)
    except IntegrityError:
        # The client_order_id is taken: a retry, or a concurrent request that won the race.
        if (first := _first_order(user, client_order_id, body)) is not None:
            return Placed(first, created=False)
        raise
    except TradingError as error:
        if (first := _first_order(user, client_order_id, body)) is not None:
            return Placed(first, created=False)
        audit_record(action="order_rejected", user=user, code=error.code, coin=coin.id)
        raise
    audit_logged(event)
    if order.status == OrderStatus.FILLED:
        orders_changed_after_commit([order])
    return Placed(order, created=True)


def _first_order(user: User, client_order_id: str | None, body: OrderBody) -> Order | None:
    """The order already placed under ``client_order_id``, when its body matches (else a
    409 ``idempotency_conflict``); None without an id or such an order."""
    if not client_order_id:
        return None
    first = Order.objects.filter(user=user, client_order_id=client_order_id).first()
    if first is not None:
        order_replay_check(first, body)
    return first


class _PriceToRefresh(Exception):
    """The newest price, read under the locks, is too old to trade at as it stands."""


def _order_create(
    user: User,
    coin: Coin,
    body: OrderBody,
    client_order_id: str | None,
    price: Decimal | None,
) -> tuple[Order, AuditEvent]:
    """Lock the balances (reading the market price with them, unless given), size the
    order, work out every entry in memory (each amount checked), then write the order,
    its entries, the balances and the audit event at once."""
    if body.type == OrderType.MARKET and price is None:
        balances, tick = balances_locked_with_tick(user, coin.id)
        price = market_price_unrefreshed(tick)
        if price is None:
            raise _PriceToRefresh
    else:
        balances = balances_locked(user, [USD, coin.id])
    quantity = order_size(body, price)
    order = Order(
        user=user,
        coin=coin,
        side=body.side,
        type=body.type,
        quantity=quantity,
        quote_amount=body.quote_amount,
        limit_price=body.limit_price,
        stop_price=body.stop_price,
        client_order_id=client_order_id or None,
    )
    batch = Batch()
    if body.type == OrderType.MARKET:
        assert price is not None
        order_settle(order, balances, quantity, price, batch)
    else:
        reference = body.reference_price
        assert reference is not None
        if body.side == Side.BUY:
            # What the fill at the limit price charges (``order_settle``), to the last place.
            notional, fee = trade_value(quantity, reference)
            order.held_amount = notional + fee
            hold(balances[USD], order.held_amount, order, batch)
        else:
            order.held_amount = quantity
            hold(balances[coin.id], quantity, order, batch)
    event = audit_event(
        action="order_filled" if order.status == OrderStatus.FILLED else "order_placed",
        user=user,
        side=body.side,
        type=body.type,
        coin=coin.id,
    )
    order_write(order, batch, event)
    return order, event


def order_cancel(*, user: User, order_id: int) -> Order:
    """Cancel the user's open order and give back what it holds; 404, or 409 when not open."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(user=user, pk=order_id).first()
        if order is None:
            raise TradingError("not_found", "No such order.", status_code=404)
        if order.status != OrderStatus.OPEN:
            raise TradingError(
                "not_cancellable",
                f"The order is {order.status}; only open orders can be cancelled.",
                status_code=409,
            )
        order_hold_release(order, balances_locked(user, [USD, order.coin_id]))
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "held_amount", "cancelled_at"])
        orders_changed_after_commit([order])
    audit_record(action="order_cancelled", user=user, order=order.pk)
    return order
