"""Trading writes: funding, placing, cancelling and filling orders.

Every function here is one database transaction. Balance rows are locked with
``SELECT ... FOR UPDATE`` in one fixed order (the user's assets sorted, ``USD``
first), and an order row is locked before its balances, so two writers never wait
for each other in a cycle. On SQLite the transaction takes the write lock at BEGIN
(``transaction_mode = IMMEDIATE``), which serialises writers the same way.

Rules (SPEC §4): a buy costs ``quantity x price x (1 + fee rate)``, a sell yields
``quantity x price x (1 - fee rate)``; the fee is always charged in USD. Limit
orders hold what they may spend and fill at their limit price on the first tick
that touches or crosses it; stop orders hold the same way and, on the tick that
reaches the stop, execute at that tick's price.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from cryptovault.errors import DomainError
from cryptovault.limits import limit_check
from markets.models import Coin
from markets.selectors import coin_price_current
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

logger = logging.getLogger(__name__)

Q8 = Decimal(1).scaleb(-8)
# SPEC §4: orders per user and minute, counted here so that every door (the API,
# the page ticket, anything later) shares one allowance.
ORDERS_RATE = "20/m"


def q8(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    return value.quantize(Q8, rounding=rounding)


def fee_for(notional: Decimal) -> Decimal:
    return q8(notional * settings.TRADING_FEE_RATE)


class TradingError(DomainError):
    pass


def _invalid(code: str, message: str, field: str | None = None) -> TradingError:
    return TradingError(code, message, field=field)


# --- balances and the ledger -------------------------------------------------------


def _balances_locked(user: User, assets: list[str]) -> dict[str, Balance]:
    """The user's balances of ``assets``, created if missing, locked in a fixed order."""
    ordered = sorted(set(assets))
    for asset in ordered:
        Balance.objects.get_or_create(user=user, asset=asset)
    rows = (
        Balance.objects.select_for_update().filter(user=user, asset__in=ordered).order_by("asset")
    )
    return {row.asset: row for row in rows}


class Batch:
    """Ledger writes kept in memory and flushed at once (many fills in one transaction)."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self.balances: dict[int, Balance] = {}
        self.orders: dict[int, Order] = {}

    def flush(self) -> None:
        now = timezone.now()
        balances = [(b.pk, b.available, b.held) for b in self.balances.values()]
        orders = [(o.pk, o.filled_quantity, o.average_price, o.fee) for o in self.orders.values()]
        LedgerEntry.objects.bulk_create(self.entries)
        if connection.vendor == "postgresql":
            # One UPDATE ... FROM (VALUES ...) per table instead of one per row.
            _update_from_values(
                "trading_balance",
                "available = v.a::numeric, held = v.h::numeric, updated_at = %s",
                balances,
                [now],
            )
            _update_from_values(
                "trading_order",
                "status = 'filled', filled_quantity = v.a::numeric, "
                "average_price = v.h::numeric, fee = v.f::numeric, held_amount = 0, filled_at = %s",
                orders,
                [now],
                columns="(id, a, h, f)",
            )
            return
        for pk, available, held in balances:
            Balance.objects.filter(pk=pk).update(available=available, held=held, updated_at=now)
        for pk, quantity, price, fee in orders:
            Order.objects.filter(pk=pk).update(
                status=OrderStatus.FILLED,
                filled_quantity=quantity,
                average_price=price,
                fee=fee,
                held_amount=0,
                filled_at=now,
            )


def _update_from_values(
    table: str,
    assignments: str,
    rows: list[tuple[Any, ...]],
    params: list[Any],
    columns: str = "(id, a, h)",
) -> None:
    if not rows:
        return
    width = len(rows[0])
    values = ", ".join("(" + ", ".join(["%s"] * width) + ")" for _ in rows)
    flat = [str(value) if isinstance(value, Decimal) else value for row in rows for value in row]
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 - fixed identifiers, values are params
        f"FROM (VALUES {values}) AS v{columns} WHERE {table}.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *flat])


def _post(
    balance: Balance,
    kind: str,
    amount: Decimal,
    order: Order | None,
    *,
    held: Decimal = Decimal(0),
    batch: Batch | None = None,
) -> None:
    """One ledger entry: ``amount`` changes available, ``held`` changes held."""
    available, now_held = q8(balance.available + amount), q8(balance.held + held)
    if available < 0 or now_held < 0:
        raise _invalid("insufficient_funds", f"Not enough {balance.asset} for this order.")
    balance.available, balance.held = available, now_held
    entry = LedgerEntry(
        user_id=balance.user_id,
        asset=balance.asset,
        kind=kind,
        amount=q8(amount),
        balance_after=balance.available,
        order=order,
    )
    if batch is None:
        balance.save(update_fields=["available", "held", "updated_at"])
        entry.save()
    else:
        batch.balances[balance.pk] = balance
        batch.entries.append(entry)


def _hold(balance: Balance, amount: Decimal, order: Order) -> None:
    _post(balance, LedgerKind.HOLD, -amount, order, held=amount)


def _release(balance: Balance, amount: Decimal, order: Order, batch: Batch | None = None) -> None:
    if amount:
        _post(balance, LedgerKind.RELEASE, amount, order, held=-amount, batch=batch)


@transaction.atomic
def account_fund_initial(*, user: User) -> Decimal:
    """Credit a newly verified user's demo dollars, once. Returns the amount credited."""
    balances = _balances_locked(user, [USD])
    if LedgerEntry.objects.filter(user=user, asset=USD, kind=LedgerKind.DEPOSIT).exists():
        return Decimal(0)
    amount = q8(settings.DEMO_STARTING_BALANCE_USD)
    if amount:
        _post(balances[USD], LedgerKind.DEPOSIT, amount, None)
    return amount


# --- placing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool


def _current_price(coin: Coin) -> Decimal:
    tick = coin_price_current(coin_id=coin.id)
    limit = 2 * settings.PRICE_REFRESH_SECONDS
    if tick is None or (timezone.now() - tick.at).total_seconds() > limit:
        raise _invalid(
            "price_unavailable",
            f"No price of {coin.name} newer than {limit} seconds; try again shortly.",
        )
    return tick.price


def _positive(value: Decimal | None, field: str, code: str = "invalid_quantity") -> Decimal:
    if value is None or not value.is_finite() or value <= 0:
        raise _invalid(code, f"{field} must be a positive number.", field)
    if value != q8(value, ROUND_DOWN):
        raise _invalid(code, f"{field} has at most 8 decimal places.", field)
    return value


def order_place(
    *,
    user: User,
    coin_id: str,
    side: str,
    type: str,
    quantity: Decimal | None = None,
    quote_amount: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    client_order_id: str | None = None,
    request: HttpRequest | None = None,
) -> Placed:
    """Place an order; a repeated ``client_order_id`` returns the first order unchanged."""
    limit_check(
        group="orders:place",
        key=f"user:{user.pk}",
        rate=ORDERS_RATE,
        message="Too many orders in a minute. Wait a moment and try again.",
    )
    if client_order_id:
        existing = Order.objects.filter(user=user, client_order_id=client_order_id).first()
        if existing is not None:
            return Placed(existing, created=False)
    coin = Coin.objects.filter(pk=coin_id, is_tracked=True).first()
    if coin is None:
        raise _invalid("unknown_coin", f"{coin_id!r} is not a tradable coin.", "coin")
    if side not in Side.values:
        raise _invalid("invalid_side", "side must be buy or sell.", "side")
    if type not in OrderType.values:
        raise _invalid("invalid_type", "type must be market, limit or stop.", "type")
    if type == OrderType.LIMIT:
        _positive(limit_price, "limit_price", "invalid_price")
    if type == OrderType.STOP:
        _positive(stop_price, "stop_price", "invalid_price")
    if quote_amount is not None:
        if not (type == OrderType.MARKET and side == Side.BUY):
            raise _invalid(
                "invalid_quantity", "quote_amount is for market buys only.", "quote_amount"
            )
        if quantity is not None:
            raise _invalid(
                "invalid_quantity", "Give quantity or quote_amount, not both.", "quantity"
            )
        _positive(quote_amount, "quote_amount")
    else:
        _positive(quantity, "quantity")
    try:
        # The price is read (and refreshed, which may call CoinGecko) before any lock.
        price = _current_price(coin) if type == OrderType.MARKET else None
        with transaction.atomic():
            order = _order_place(
                user,
                coin,
                side,
                type,
                quantity,
                quote_amount,
                limit_price,
                stop_price,
                client_order_id,
                price,
            )
    except IntegrityError:
        # A concurrent retry with the same client_order_id won the race.
        existing = Order.objects.filter(user=user, client_order_id=client_order_id).first()
        if client_order_id and existing is not None:
            return Placed(existing, created=False)
        raise
    except TradingError as error:
        audit_record(
            action="order_rejected", user=user, request=request, code=error.code, coin=coin.id
        )
        raise
    audit_record(
        action="order_filled" if order.status == OrderStatus.FILLED else "order_placed",
        user=user,
        request=request,
        order=order.pk,
        side=side,
        type=type,
        coin=coin.id,
    )
    if order.status == OrderStatus.FILLED:
        _notify(order)
    return Placed(order, created=True)


def _order_place(
    user: User,
    coin: Coin,
    side: str,
    type: str,
    quantity: Decimal | None,
    quote_amount: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    client_order_id: str | None,
    price: Decimal | None,
) -> Order:
    balances = _balances_locked(user, [USD, coin.id])
    order = Order.objects.create(
        user=user,
        coin=coin,
        side=side,
        type=type,
        quantity=quantity,
        quote_amount=quote_amount,
        limit_price=limit_price if type == OrderType.LIMIT else None,
        stop_price=stop_price if type == OrderType.STOP else None,
        client_order_id=client_order_id or None,
    )
    if type == OrderType.MARKET:
        assert price is not None
        if quote_amount is not None:
            rate = settings.TRADING_FEE_RATE
            quantity = q8(quote_amount / (price * (1 + rate)), ROUND_DOWN)
            if quantity <= 0:
                raise _invalid(
                    "invalid_quantity", "quote_amount buys less than 0.00000001.", "quote_amount"
                )
            order.quantity = quantity
        assert quantity is not None
        _fill(order, balances, quantity, price)
        return order
    assert quantity is not None
    reference = limit_price if type == OrderType.LIMIT else stop_price
    assert reference is not None
    if side == Side.BUY:
        notional = q8(quantity * reference)
        order.held_amount = notional + fee_for(notional)
        _hold(balances[USD], order.held_amount, order)
    else:
        order.held_amount = quantity
        _hold(balances[coin.id], quantity, order)
    order.save(update_fields=["held_amount", "quantity"])
    return order


def _fill(
    order: Order,
    balances: dict[str, Balance],
    quantity: Decimal,
    price: Decimal,
    batch: Batch | None = None,
) -> None:
    """Settle a whole order at ``price``: release its hold, then trade and fee entries.

    With a ``batch`` nothing is written until it is flushed, and a refusal leaves the
    balances as they were (the checks run before any change).
    """
    usd, coin = balances[USD], balances[order.coin_id]
    notional = q8(quantity * price)
    fee = fee_for(notional)
    if order.side == Side.BUY:
        if usd.available + order.held_amount < notional + fee:
            raise _invalid("insufficient_funds", "Not enough USD for this order.")
        _release(usd, order.held_amount, order, batch)
        _post(usd, LedgerKind.TRADE, -notional, order, batch=batch)
        _post(usd, LedgerKind.FEE, -fee, order, batch=batch)
        _post(coin, LedgerKind.TRADE, quantity, order, batch=batch)
    else:
        if coin.available + order.held_amount < quantity:
            raise _invalid("insufficient_funds", f"Not enough {order.coin_id} for this order.")
        if notional - fee < 0:
            raise _invalid("invalid_quantity", "The fee would exceed the proceeds.")
        _release(coin, order.held_amount, order, batch)
        _post(coin, LedgerKind.TRADE, -quantity, order, batch=batch)
        _post(usd, LedgerKind.TRADE, notional, order, batch=batch)
        _post(usd, LedgerKind.FEE, -fee, order, batch=batch)
    order.status = OrderStatus.FILLED
    order.filled_quantity = quantity
    order.average_price = price
    order.fee = fee
    order.held_amount = Decimal(0)
    order.filled_at = timezone.now()
    if batch is None:
        order.save()
    else:
        batch.orders[order.pk] = order


# --- cancelling --------------------------------------------------------------------


def order_cancel(*, user: User, order_id: int, request: HttpRequest | None = None) -> Order:
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
        balances = _balances_locked(user, [USD, order.coin_id])
        held_asset = USD if order.side == Side.BUY else order.coin_id
        _release(balances[held_asset], order.held_amount, order)
        order.status = OrderStatus.CANCELLED
        order.held_amount = Decimal(0)
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "held_amount", "cancelled_at"])
    audit_record(action="order_cancelled", user=user, request=request, order=order.pk)
    _notify(order)
    return order


# --- filling on price ticks ----------------------------------------------------------


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


FILL_BATCH = 200  # orders settled per transaction on a tick


def on_tick(*, prices: Mapping[str, Decimal], at: datetime) -> int:
    """Fill every open order the new prices cross; returns how many were filled.

    Crossed orders are settled in batches, each ONE transaction: the orders are locked
    (by id), then every balance they touch (by user, then asset), then all of them are
    settled in memory and written in bulk. A stop that can no longer be paid for is
    rejected and its hold released.
    """
    filled = 0
    for coin_id, price in prices.items():
        crossed = _crossed(coin_id, price)
        for start in range(0, len(crossed), FILL_BATCH):
            filled += _fill_batch(crossed[start : start + FILL_BATCH], price)
    return filled


def _fill_batch(order_ids: list[int], price: Decimal) -> int:
    from accounts.models import AuditEvent

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
                _fill(order, mine, order.quantity, fill_price, batch)
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
        transaction.on_commit(lambda: _notify_many(done))
    for order, refusal in refused:
        _reject(order.pk, refusal)
    return len(done)


def _reject(order_id: int, error: TradingError) -> None:
    """A triggered stop the account can no longer pay for: release and reject it."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.OPEN:
            return
        balances = _balances_locked(order.user, [USD, order.coin_id])
        held_asset = USD if order.side == Side.BUY else order.coin_id
        _release(balances[held_asset], order.held_amount, order)
        order.status = OrderStatus.REJECTED
        order.held_amount = Decimal(0)
        order.reject_reason = error.message[:200]
        order.save(update_fields=["status", "held_amount", "reject_reason"])
    audit_record(action="order_rejected", user=order.user, order=order.pk, code=error.code)
    _notify(order)


def _notify_many(orders: list[Order]) -> None:
    from trading.consumers import orders_changed

    orders_changed(orders)


def _notify(order: Order) -> None:
    """Tell the owner's open pages (``/ws/orders``) after the transaction commits."""
    from trading.consumers import order_changed

    transaction.on_commit(lambda: order_changed(order))
