"""Matching: on every price tick, fill the open orders the new prices cross.

Limit orders fill at their limit price, stops at the tick's price. Crossed orders are
settled in batches, each ONE transaction: the orders are locked (by id), then every
balance they touch (by user, then asset), then all of them are settled in memory and
written in bulk (``trading.services.ledger.Batch``). A stop that can no longer be
paid for is rejected and its hold released.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import AuditEvent
from trading.errors import TradingError
from trading.models import USD, Balance, Order, OrderStatus, OrderType, Side
from trading.services.ledger import Batch, balances_locked, order_hold_release, order_settle
from trading.services.orders import orders_changed_after_commit

logger = logging.getLogger(__name__)

FILL_BATCH = 200  # orders settled per transaction on a tick


def _crossed(coin_id: str, price: Decimal) -> list[int]:
    """Ids of open orders this price fills, oldest first, found through the indexes."""
    open_orders = Order.objects.filter(coin_id=coin_id, status=OrderStatus.OPEN)
    limit_buys = open_orders.filter(type=OrderType.LIMIT, side=Side.BUY, limit_price__gte=price)
    limit_sells = open_orders.filter(type=OrderType.LIMIT, side=Side.SELL, limit_price__lte=price)
    stop_buys = open_orders.filter(type=OrderType.STOP, side=Side.BUY, stop_price__lte=price)
    stop_sells = open_orders.filter(type=OrderType.STOP, side=Side.SELL, stop_price__gte=price)
    ids: list[tuple[datetime, int]] = []
    for query in (limit_buys, limit_sells, stop_buys, stop_sells):
        ids += list(query.values_list("created_at", "id"))
    return [order_id for _, order_id in sorted(ids)]


def on_tick(*, prices: Mapping[str, Decimal], at: datetime) -> int:
    """Fill every open order the new prices cross; returns how many were filled."""
    filled = 0
    for coin_id, price in prices.items():
        crossed = _crossed(coin_id, price)
        for start in range(0, len(crossed), FILL_BATCH):
            filled += _fill_batch(crossed[start : start + FILL_BATCH], price)
    return filled


def _fill_batch(order_ids: list[int], price: Decimal) -> int:
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update()
            .filter(pk__in=order_ids, status=OrderStatus.OPEN)
            .order_by("pk")
        )
        if not orders:
            return 0
        wanted = {(order.user_id, asset) for order in orders for asset in (USD, order.coin_id)}
        Balance.objects.bulk_create(
            [Balance(user_id=user_id, asset=asset) for user_id, asset in sorted(wanted)],
            ignore_conflicts=True,
        )
        users = sorted({user_id for user_id, _ in wanted})
        assets = sorted({asset for _, asset in wanted})
        locked = Balance.objects.select_for_update().filter(user_id__in=users, asset__in=assets)
        balances = {(b.user_id, b.asset): b for b in locked.order_by("user_id", "asset")}
        batch = Batch()
        done: list[Order] = []
        refused: list[tuple[Order, TradingError]] = []
        for order in orders:
            mine = {
                USD: balances[(order.user_id, USD)],
                order.coin_id: balances[(order.user_id, order.coin_id)],
            }
            fill_price = order.limit_price if order.type == OrderType.LIMIT else price
            assert order.quantity is not None and fill_price is not None
            try:
                order_settle(order, mine, order.quantity, fill_price, batch)
            except TradingError as error:
                refused.append((order, error))
            else:
                done.append(order)
        batch.flush()
        AuditEvent.objects.bulk_create(
            AuditEvent(
                action="order_filled",
                user_id=order.user_id,
                data={"order": order.pk, "price": str(order.average_price)},
            )
            for order in done
        )
        for order in done:
            logger.info("Order %s filled at %s", order.pk, order.average_price)
        orders_changed_after_commit(done)
    for order, refusal in refused:
        _reject(order.pk, refusal)
    return len(done)


def _reject(order_id: int, error: TradingError) -> None:
    """A triggered stop the account can no longer pay for: release and reject it."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.OPEN:
            return
        order_hold_release(order, balances_locked(order.user, [USD, order.coin_id]))
        order.status = OrderStatus.REJECTED
        order.reject_reason = error.message[:200]
        order.save(update_fields=["status", "held_amount", "reject_reason"])
        orders_changed_after_commit([order])
    audit_record(action="order_rejected", user=order.user, order=order.pk, code=error.code)
