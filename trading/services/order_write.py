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


def _value(field: models.Field[Any, Any], instance: models.Model) -> Any:
    """What Django's own INSERT would send for ``field`` (``auto_now_add`` included)."""
    return field.get_db_prep_save(field.pre_save(instance, add=True), connection)


def _cast(field: models.Field[Any, Any]) -> str:
    return f"%s::{field.db_type(connection)}"


def _write_postgresql(order: Order, batch: Batch, event: AuditEvent, now: Any) -> int | None:
    """One statement; the new order's id, or None when its client_order_id is taken."""
    order_fields = _fields(Order)
    entry_fields = _fields(LedgerEntry, "order_id")
    event_fields = _fields(AuditEvent)
    params: list[Any] = [_value(field, order) for field in order_fields]
    sql = [
        f"WITH o AS (INSERT INTO {Order._meta.db_table} "  # noqa: S608 - the models' identifiers; values are params
        f"({', '.join(f.column for f in order_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(order_fields))}) "
        "ON CONFLICT (user_id, client_order_id) WHERE client_order_id IS NOT NULL "
        "DO NOTHING RETURNING id)"
    ]
    if batch.entries:
        # The entries keep the order they were posted in (their ids, as the ORM's would).
        width = len(entry_fields)
        row = "(" + ", ".join([*(_cast(f) for f in entry_fields), "%s::integer"]) + ")"
        names = [f"c{i}" for i in range(width)]
        sql.append(
            f", entries AS (INSERT INTO {LedgerEntry._meta.db_table} "  # noqa: S608 - the models' identifiers; values are params
            f"({', '.join(f.column for f in entry_fields)}, order_id) "
            f"SELECT {', '.join(f'v.{n}' for n in names)}, o.id FROM o, "
            f"(VALUES {', '.join([row] * len(batch.entries))}) AS v({', '.join(names)}, n) "
            "ORDER BY v.n)"
        )
        for n, entry in enumerate(batch.entries):
            params += [_value(field, entry) for field in entry_fields] + [n]
    if batch.balances:
        amount = Balance._meta.get_field("available")
        key = Balance._meta.pk.rel_db_type(connection)  # type: ignore[attr-defined]
        row = f"(%s::{key}, {_cast(amount)}, {_cast(amount)})"
        sql.append(
            f", balances AS (UPDATE {Balance._meta.db_table} "  # noqa: S608 - the models' identifiers; values are params
            "SET available = v.a, held = v.h, updated_at = %s "
            f"FROM o, (VALUES {', '.join([row] * len(batch.balances))}) AS v(id, a, h) "
            f"WHERE {Balance._meta.db_table}.id = v.id)"
        )
        params.append(now)
        for balance in batch.balances.values():
            params += [balance.pk, balance.available, balance.held]
    # The event's data gets the order's id, which only the INSERT above knows.
    selected = [
        "(%s::jsonb || jsonb_build_object('order', o.id))" if f.name == "data" else _cast(f)
        for f in event_fields
    ]
    sql.append(
        f", audit AS (INSERT INTO {AuditEvent._meta.db_table} "  # noqa: S608 - the models' identifiers; values are params
        f"({', '.join(f.column for f in event_fields)}) SELECT {', '.join(selected)} FROM o)"
        " SELECT id FROM o"
    )
    params += [_value(field, event) for field in event_fields]
    with connection.cursor() as cursor:
        cursor.execute("".join(sql), params)
        found = cursor.fetchone()
    return None if found is None else int(found[0])
