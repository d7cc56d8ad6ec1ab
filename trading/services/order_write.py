"""Writing a new order at once: the order row, its ledger entries, the balances they
change and the audit event that explains them.

``order_place`` computes everything in memory under the balance locks (``ledger.post``
with a ``Batch`` checks every amount before anything is written), then calls
``order_write`` inside the same transaction. On PostgreSQL the writes are ONE
statement, a data-modifying ``WITH``: the order's ``INSERT ... ON CONFLICT DO
NOTHING RETURNING id`` feeds the ledger entries, the balance ``UPDATE`` and the
audit row, which all join on it, so a ``client_order_id`` already taken writes
nothing at all (and leaves no error in the server's log). Elsewhere (the embedded
SQLite) the same rows go through the ORM, four statements.

Callers hold the transaction and the balance locks; nothing here opens one.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import IntegrityError, connection, models
from django.utils import timezone

from accounts.models import AuditEvent
from trading.models import Balance, LedgerEntry, Order
from trading.services.ledger import Batch


class ClientOrderIdTaken(IntegrityError):
    """The user already has an order with this ``client_order_id`` (the unique
    constraint held); nothing was written."""


def order_write(order: Order, batch: Batch, event: AuditEvent) -> None:
    """Insert ``order`` (unsaved) with ``batch``'s entries and balances and ``event``,
    whose data gets the order's id first; ``ClientOrderIdTaken`` when the id is taken.

    ``batch.orders`` is not read: the order is inserted as it stands, filled or open.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        pk = _write_postgresql(order, batch, event, now)
        if pk is None:
            raise ClientOrderIdTaken(order.client_order_id)
        order.pk = pk
        event.data = {"order": pk, **event.data}
        return
    order.save(force_insert=True)  # IntegrityError when the client_order_id is taken
    for entry in batch.entries:
        entry.order = order
    LedgerEntry.objects.bulk_create(batch.entries)
    for balance in batch.balances.values():
        Balance.objects.filter(pk=balance.pk).update(
            available=balance.available, held=balance.held, updated_at=now
        )
    event.data = {"order": order.pk, **event.data}
    event.save(force_insert=True)


def _fields(model: type[models.Model], *skip: str) -> list[models.Field[Any, Any]]:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in skip
    ]


_ORDER_FIELDS = _fields(Order)
# An order's entries share their user and moment (sent once); the rest is per entry.
# Fewer parameters matter: psycopg parses a statement of more than 50 anew every time.
_ENTRY_SHARED = [f for f in _fields(LedgerEntry) if f.attname in ("user_id", "at")]
_ENTRY_EACH = _fields(LedgerEntry, "order_id", "user_id", "at")
_EVENT_FIELDS = _fields(AuditEvent)


# Fields whose Python value psycopg takes as it is: Django's PostgreSQL adapters hand
# decimals, datetimes, text and ids over unchanged. Any other kind (the event's JSON,
# its IP address) goes through the field's own get_db_prep_save.
_AS_IS = (models.DecimalField, models.CharField, models.DateTimeField, models.ForeignKey)


def _value(field: models.Field[Any, Any], instance: models.Model) -> Any:
    """What Django's own INSERT would send for ``field`` (``auto_now_add`` included)."""
    value = field.pre_save(instance, add=True)
    if value is None or type(field) in _AS_IS:
        return value
    return field.get_db_prep_save(value, connection)


def _write_postgresql(order: Order, batch: Batch, event: AuditEvent, now: Any) -> int | None:
    """One statement; the new order's id, or None when its client_order_id is taken."""
    params: list[Any] = [_value(field, order) for field in _ORDER_FIELDS]
    if batch.entries:
        first = batch.entries[0]
        params += [_value(field, first) for field in _ENTRY_SHARED]
        for entry in batch.entries:
            assert entry.user_id == first.user_id
            entry.at = first.at
            params += [_value(field, entry) for field in _ENTRY_EACH]
    if batch.balances:
        params.append(now)
        for balance in batch.balances.values():
            params += [balance.pk, balance.available, balance.held]
    params += [_value(field, event) for field in _EVENT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_statement(len(batch.entries), len(batch.balances)), params)
        found = cursor.fetchone()
    return None if found is None else int(found[0])


@functools.cache
def _statement(entries: int, balances: int) -> str:
    """The PostgreSQL statement for an order with this many entries and balances."""

    def cast(field: models.Field[Any, Any]) -> str:
        return f"%s::{field.db_type(connection)}"

    order_table, entry_table = Order._meta.db_table, LedgerEntry._meta.db_table
    balance_table, event_table = Balance._meta.db_table, AuditEvent._meta.db_table
    sql = [
        f"WITH o AS (INSERT INTO {order_table} "  # noqa: S608 - the models' identifiers; values are params
        f"({', '.join(f.column for f in _ORDER_FIELDS)}) "
        f"VALUES ({', '.join(['%s'] * len(_ORDER_FIELDS))}) "
        "ON CONFLICT (user_id, client_order_id) WHERE client_order_id IS NOT NULL "
        "DO NOTHING RETURNING id)"
    ]
    if entries:
        # The entries keep the order they were posted in (their ids, as the ORM's would).
        rows = ", ".join(
            "(" + ", ".join([*(cast(f) for f in _ENTRY_EACH), str(n)]) + ")" for n in range(entries)
        )
        names = [f"c{i}" for i in range(len(_ENTRY_EACH))]
        columns = [f.column for f in [*_ENTRY_SHARED, *_ENTRY_EACH]]
        sql.append(
            f", entries AS (INSERT INTO {entry_table} "  # noqa: S608 - the models' identifiers; values are params
            f"({', '.join(columns)}, order_id) "
            f"SELECT {', '.join(cast(f) for f in _ENTRY_SHARED)}, "
            f"{', '.join(f'v.{n}' for n in names)}, o.id FROM o, "
            f"(VALUES {rows}) AS v({', '.join(names)}, n) ORDER BY v.n)"
        )
    if balances:
        amount = cast(Balance._meta.get_field("available"))
        key = Balance._meta.pk.rel_db_type(connection)  # type: ignore[attr-defined]
        row = f"(%s::{key}, {amount}, {amount})"
        sql.append(
            f", balances AS (UPDATE {balance_table} "  # noqa: S608 - the models' identifiers; values are params
            "SET available = v.a, held = v.h, updated_at = %s "
            f"FROM o, (VALUES {', '.join([row] * balances)}) AS v(id, a, h) "
            f"WHERE {balance_table}.id = v.id)"
        )
    # The event's data gets the order's id, which only the INSERT above knows.
    selected = [
        "(%s::jsonb || jsonb_build_object('order', o.id))" if f.name == "data" else cast(f)
        for f in _EVENT_FIELDS
    ]
    sql.append(
        f", audit AS (INSERT INTO {event_table} "  # noqa: S608 - the models' identifiers; values are params
        f"({', '.join(f.column for f in _EVENT_FIELDS)}) SELECT {', '.join(selected)} FROM o)"
        " SELECT id FROM o"
    )
    return "".join(sql)
