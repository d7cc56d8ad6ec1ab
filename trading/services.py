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
reaches the stop, execute at that tick's price. Every amount an order makes (its
notional and fee, its hold, the balances after) is checked against what a money column
holds (``trading.money``) before anything is written: too large is a 400 naming the
field, never a ``decimal.InvalidOperation``. An order worth less than ``MIN_ORDER_USD``
is a 400 ``below_minimum``, and a field that does not belong to the order's type (a limit
price on a market order, a quote amount on a sell) a 400 naming it: never ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Context, Decimal
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
from trading.money import MONEY_MAX, fee_for, fits, notional_for_quote, q8

logger = logging.getLogger(__name__)

# SPEC §4: orders per user and minute, counted here so that every door (the API,
# the page ticket, anything later) shares one allowance.
ORDERS_RATE = "20/m"
# The most a money column holds, written out in messages so a client sees the bound it
# crossed (an amount past it cannot even be quantized: trading.money).
LARGEST = f"{MONEY_MAX:,}"  # 99,999,999,999,999,999,999.99999999
# Digits enough to quantize any number below 10^20 to a price's 18 places.
_WIDE = Context(prec=settings.PRICE_MAX_DIGITS + 2)


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
    available, now_held = balance.available + amount, balance.held + held
    if not (fits(amount) and fits(available) and fits(now_held)):
        raise _invalid(
            "too_large",
            f"The {balance.asset} balance would be more than an account can hold ({LARGEST}).",
            "quantity" if order is not None else None,
        )
    available, now_held = q8(available), q8(now_held)
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


@dataclass(frozen=True)
class OrderBody:
    """What a client asked for, checked: the "body" that a repeated ``client_order_id``
    must match (SPEC §4). Every field of it belongs to its type (``_body_checked``
    refuses the others), so every field is stored and compared."""

    coin_id: str
    side: str
    type: str
    quantity: Decimal | None
    quote_amount: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None

    @property
    def price_field(self) -> str:
        """The name of the price the order is valued at, for messages."""
        names = {OrderType.LIMIT.value: "limit_price", OrderType.STOP.value: "stop_price"}
        return names.get(self.type, "price")

    def matches(self, order: Order) -> bool:
        """Numbers compare by value ("1" is "1.00000000"). A quote-amount buy stores the
        quantity it bought, which the client never sent."""
        stored_quantity = None if order.quote_amount is not None else order.quantity
        return (
            self.coin_id,
            self.side,
            self.type,
            self.quantity,
            self.quote_amount,
            self.limit_price,
            self.stop_price,
        ) == (
            order.coin_id,
            order.side,
            order.type,
            stored_quantity,
            order.quote_amount,
            order.limit_price,
            order.stop_price,
        )


def _current_price(coin: Coin) -> Decimal:
    tick = coin_price_current(coin_id=coin.id)
    limit = 2 * settings.PRICE_REFRESH_SECONDS
    if tick is None or (timezone.now() - tick.at).total_seconds() > limit or tick.price <= 0:
        raise _invalid(
            "price_unavailable",
            f"No price of {coin.name} newer than {limit} seconds; try again shortly.",
        )
    return tick.price


def _positive(
    value: Decimal | None,
    field: str,
    code: str = "invalid_quantity",
    places: int = settings.MONEY_DECIMAL_PLACES,
) -> Decimal:
    """``value``, a positive number that its column (``places`` decimals) holds as given."""
    if value is None or not value.is_finite() or value <= 0:
        raise _invalid(code, f"{field} must be a positive number.", field)
    if not fits(value):
        raise _invalid("too_large", f"{field} is too large: the most is {LARGEST}.", field)
    if value != value.quantize(Decimal(1).scaleb(-places), ROUND_DOWN, _WIDE):
        raise _invalid(code, f"{field} has at most {places} decimal places.", field)
    return value


def _body_checked(
    coin_id: str,
    side: str,
    type: str,
    quantity: Decimal | None,
    quote_amount: Decimal | None,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
) -> OrderBody:
    """The request's own rules, before anything is read or written.

    A field of another order type is refused, not dropped: a limit price typed on a
    market order would otherwise fill at the market, at a price the client never asked
    for (SPEC §4).
    """
    if side not in Side.values:
        raise _invalid("invalid_side", "side must be buy or sell.", "side")
    if type not in OrderType.values:
        raise _invalid("invalid_type", "type must be market, limit or stop.", "type")
    if limit_price is not None and type != OrderType.LIMIT:
        raise _invalid(
            "invalid_price", f"limit_price is for limit orders only, not {type}.", "limit_price"
        )
    if stop_price is not None and type != OrderType.STOP:
        raise _invalid(
            "invalid_price", f"stop_price is for stop orders only, not {type}.", "stop_price"
        )
    if quote_amount is not None and not (type == OrderType.MARKET and side == Side.BUY):
        raise _invalid("invalid_quantity", "quote_amount is for market buys only.", "quote_amount")
    # A unit price has the places a coin at $0.000000001206 needs (PRICE_DECIMAL_PLACES).
    if type == OrderType.LIMIT:
        _positive(limit_price, "limit_price", "invalid_price", settings.PRICE_DECIMAL_PLACES)
    if type == OrderType.STOP:
        _positive(stop_price, "stop_price", "invalid_price", settings.PRICE_DECIMAL_PLACES)
    if quote_amount is not None:
        if quantity is not None:
            raise _invalid(
                "invalid_quantity", "Give quantity or quote_amount, not both.", "quantity"
            )
        _positive(quote_amount, "quote_amount")
    else:
        _positive(quantity, "quantity")
    return OrderBody(
        coin_id=coin_id,
        side=side,
        type=type,
        quantity=quantity,
        quote_amount=quote_amount,
        limit_price=limit_price,
        stop_price=stop_price,
    )


def _sized(body: OrderBody, price: Decimal | None) -> Decimal:
    """The order's quantity, once every amount it will write (the notional and the fee
    at the market, limit or stop price; the hold; the quantity a quote amount buys) is
    known to fit the ledger's columns and to be worth at least ``MIN_ORDER_USD``."""
    reference = price if body.type == OrderType.MARKET else body.limit_price or body.stop_price
    if reference is None or not reference.is_finite() or reference <= 0:
        # Never divide by it: a price stored as 0 (too small for its column) is no price.
        raise _invalid("price_unavailable", "No usable price for this coin; try again shortly.")
    minimum = settings.MIN_ORDER_USD
    if body.quote_amount is not None:
        if body.quote_amount < minimum:
            raise _invalid(
                "below_minimum",
                f"quote_amount is less than the smallest order, {minimum} USD.",
                "quote_amount",
            )
        bought = notional_for_quote(body.quote_amount) / reference
        if not fits(bought):
            raise _invalid(
                "too_large",
                f"quote_amount buys more than {LARGEST} coins at this price.",
                "quote_amount",
            )
        quantity = q8(bought, ROUND_DOWN)
        if quantity <= 0:
            raise _invalid(
                "invalid_quantity", "quote_amount buys less than 0.00000001.", "quote_amount"
            )
        return quantity
    assert body.quantity is not None
    notional = body.quantity * reference
    if not (fits(notional) and fits(q8(notional) + fee_for(notional))):
        raise _invalid(
            "too_large",
            f"quantity x {body.price_field}, fee included, is more than an order can be "
            f"worth ({LARGEST} USD); lower the quantity.",
            "quantity",
        )
    if notional < minimum:
        raise _invalid(
            "below_minimum",
            f"quantity x {body.price_field} is less than the smallest order, {minimum} USD; "
            "raise the quantity.",
            "quantity",
        )
    return body.quantity


def _replayed(existing: Order, body: OrderBody) -> Placed:
    """A retry gets the first order back; another order under the same id is a conflict."""
    if not body.matches(existing):
        raise TradingError(
            "idempotency_conflict",
            f"client_order_id {existing.client_order_id!r} was already used for order "
            f"#{existing.pk} with a different body; use a new id for a new order.",
            status_code=409,
            field="client_order_id",
        )
    return Placed(existing, created=False)


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
    """Place an order, or write nothing and raise ``TradingError``.

    A repeated ``client_order_id`` with the same body returns the first order unchanged;
    with another body it is a 409 ``idempotency_conflict`` (also when two requests race).
    """
    limit_check(
        group="orders:place",
        key=f"user:{user.pk}",
        rate=ORDERS_RATE,
        message="Too many orders in a minute. Wait a moment and try again.",
    )
    body = _body_checked(coin_id, side, type, quantity, quote_amount, limit_price, stop_price)
    if client_order_id:
        existing = Order.objects.filter(user=user, client_order_id=client_order_id).first()
        if existing is not None:
            return _replayed(existing, body)
    coin = Coin.objects.filter(pk=coin_id, is_tracked=True).first()
    if coin is None:
        raise _invalid("unknown_coin", f"{coin_id!r} is not a tradable coin.", "coin")
    try:
        # The price is read (and refreshed, which may call CoinGecko) before any lock.
        price = _current_price(coin) if type == OrderType.MARKET else None
        sized = _sized(body, price)
        with transaction.atomic():
            order = _order_place(user, coin, body, sized, client_order_id, price)
    except IntegrityError:
        # A concurrent request with the same client_order_id won the race.
        existing = Order.objects.filter(user=user, client_order_id=client_order_id).first()
        if client_order_id and existing is not None:
            return _replayed(existing, body)
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
    body: OrderBody,
    quantity: Decimal,
    client_order_id: str | None,
    price: Decimal | None,
) -> Order:
    balances = _balances_locked(user, [USD, coin.id])
    order = Order.objects.create(
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
    if body.type == OrderType.MARKET:
        assert price is not None
        _fill(order, balances, quantity, price)
        return order
    reference = body.limit_price or body.stop_price
    assert reference is not None
    if body.side == Side.BUY:
        # What the fill at the limit price charges (``_fill``), to the last place.
        value = quantity * reference
        order.held_amount = q8(value) + fee_for(value)
        _hold(balances[USD], order.held_amount, order)
    else:
        order.held_amount = quantity
        _hold(balances[coin.id], quantity, order)
    order.save(update_fields=["held_amount"])
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
    # A stop executes at the tick's price, which the checks when it was placed could not
    # know: what it trades and what it credits must still fit the ledger.
    value = quantity * price
    credited = coin.available + quantity if order.side == Side.BUY else usd.available + value
    if not (fits(value) and fits(credited)):
        raise _invalid(
            "too_large",
            f"quantity x price is more than an account can hold ({LARGEST}).",
            "quantity",
        )
    notional = q8(value)
    # On the exact value: a notional that rounds to 0 still pays 0.00000001.
    fee = fee_for(value)
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
