"""The ledger: balance locks, posting entries, settling a fill, and batched writes.

Every change of a balance is one ``LedgerEntry`` posted here. Balance rows are locked
with ``SELECT ... FOR UPDATE`` in one fixed order (the user's assets sorted, ``USD``
first), and an order row is locked before its balances, so two writers never wait
for each other in a cycle. On SQLite the transaction takes the write lock at BEGIN
(``transaction_mode = IMMEDIATE``), which serialises writers the same way. Every
amount is checked against what a money column holds (``cryptovault.money.fits``)
before it is written: too large is a 400 naming the field, never a
``decimal.InvalidOperation``.

Callers hold the transaction; nothing here opens one.
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import User
from cryptovault.money import LARGEST, fits, q8
from markets.models import PriceTick
from markets.selectors import coin_price_latest
from trading.errors import invalid
from trading.fees import trade_value
from trading.models import USD, Balance, LedgerEntry, LedgerKind, Order, OrderStatus, Side


def balances_locked(user: User, assets: list[str]) -> dict[str, Balance]:
    """The user's balances of ``assets``, created if missing, locked in a fixed order.

    One ``SELECT ... FOR UPDATE`` when they all exist (the usual case); a missing one is
    inserted (``ON CONFLICT DO NOTHING``: a concurrent first trade of the same asset
    waits for the other's insert) and the rows are locked again. Every caller locks the
    user's USD row among its assets, so two writers for one user never interleave here.
    """
    ordered = sorted(set(assets))
    rows = _locked(user, ordered)
    if len(rows) < len(ordered):
        missing = [Balance(user=user, asset=asset) for asset in ordered if asset not in rows]
        Balance.objects.bulk_create(missing, ignore_conflicts=True)
        rows = _locked(user, ordered)
    return rows


def balances_locked_with_tick(
    user: User, coin_id: str
) -> tuple[dict[str, Balance], tuple[Decimal, datetime] | None]:
    """``balances_locked(user, [USD, coin_id])`` and the coin's newest price tick as
    ``(price, at)``, None when it has none. On PostgreSQL both come from one statement
    (the tick joined to the locked rows), a round trip less for every market order."""
    ordered = sorted({USD, coin_id})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_locked_with_tick_sql(len(ordered)), [coin_id, user.pk, *ordered])
            found = cursor.fetchall()
        if len(found) == len(ordered):
            price, at = found[0][-2:]
            rows = [Balance.from_db(connection.alias, _BALANCE_NAMES, row[:-2]) for row in found]
            return {row.asset: row for row in rows}, None if price is None else (price, at)
    # Elsewhere, or a first trade of the coin (its balance is created): two statements.
    balances = balances_locked(user, ordered)
    tick = coin_price_latest(coin_id=coin_id)
    return balances, None if tick is None else (tick.price, tick.at)


_BALANCE_NAMES = [field.attname for field in Balance._meta.concrete_fields]


@functools.cache
def _locked_with_tick_sql(assets: int) -> str:
    balance, tick = Balance._meta.db_table, PriceTick._meta.db_table
    columns = ", ".join(f"b.{field.column}" for field in Balance._meta.concrete_fields)
    return (
        f"SELECT {columns}, t.price, t.at FROM {balance} b "  # noqa: S608 - the models' identifiers; values are params
        f"LEFT JOIN LATERAL (SELECT price, at FROM {tick} WHERE coin_id = %s "
        "ORDER BY at DESC LIMIT 1) t ON true "
        f"WHERE b.user_id = %s AND b.asset IN ({', '.join(['%s'] * assets)}) "
        "ORDER BY b.asset FOR UPDATE OF b"
    )


def _locked(user: User, ordered: list[str]) -> dict[str, Balance]:
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


def post(
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
        raise invalid(
            "too_large",
            f"The {balance.asset} balance would be more than an account can hold ({LARGEST}).",
            "quantity" if order is not None else None,
        )
    available, now_held = q8(available), q8(now_held)
    if available < 0 or now_held < 0:
        raise invalid("insufficient_funds", f"Not enough {balance.asset} for this order.")
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


def hold(balance: Balance, amount: Decimal, order: Order, batch: Batch | None = None) -> None:
    """Move ``amount`` from available to held for ``order``."""
    post(balance, LedgerKind.HOLD, -amount, order, held=amount, batch=batch)


def release(balance: Balance, amount: Decimal, order: Order, batch: Batch | None = None) -> None:
    """Move ``amount`` back from held to available."""
    if amount:
        post(balance, LedgerKind.RELEASE, amount, order, held=-amount, batch=batch)


def order_hold_release(order: Order, balances: dict[str, Balance]) -> None:
    """Give back everything an open order holds (on cancel or rejection)."""
    held_asset = USD if order.side == Side.BUY else order.coin_id
    release(balances[held_asset], order.held_amount, order)
    order.held_amount = Decimal(0)


def order_settle(
    order: Order,
    balances: dict[str, Balance],
    quantity: Decimal,
    price: Decimal,
    batch: Batch | None = None,
) -> None:
    """Settle a whole order at ``price``: release its hold, then trade and fee entries.

    A buy costs ``quantity x price x (1 + fee rate)``, a sell yields ``quantity x price
    x (1 - fee rate)``; the fee is always charged in USD (SPEC §4). With a ``batch``
    nothing is written until it is flushed, and a refusal leaves the balances as they
    were (the checks run before any change).
    """
    usd, coin = balances[USD], balances[order.coin_id]
    # A stop executes at the tick's price, which the checks when it was placed could not
    # know: what it trades and what it credits must still fit the ledger.
    value = quantity * price
    credited = coin.available + quantity if order.side == Side.BUY else usd.available + value
    if not (fits(value) and fits(credited)):
        raise invalid(
            "too_large",
            f"quantity x price is more than an account can hold ({LARGEST}).",
            "quantity",
        )
    notional, fee = trade_value(quantity, price)
    if order.side == Side.BUY:
        if usd.available + order.held_amount < notional + fee:
            raise invalid("insufficient_funds", "Not enough USD for this order.")
        release(usd, order.held_amount, order, batch)
        post(usd, LedgerKind.TRADE, -notional, order, batch=batch)
        post(usd, LedgerKind.FEE, -fee, order, batch=batch)
        post(coin, LedgerKind.TRADE, quantity, order, batch=batch)
    else:
        if coin.available + order.held_amount < quantity:
            raise invalid("insufficient_funds", f"Not enough {order.coin_id} for this order.")
        if notional - fee < 0:
            raise invalid("invalid_quantity", "The fee would exceed the proceeds.")
        release(coin, order.held_amount, order, batch)
        post(coin, LedgerKind.TRADE, -quantity, order, batch=batch)
        post(usd, LedgerKind.TRADE, notional, order, batch=batch)
        post(usd, LedgerKind.FEE, -fee, order, batch=batch)
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
