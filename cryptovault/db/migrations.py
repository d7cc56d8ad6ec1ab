"""Migration helpers of ``cryptovault.db.sqlite3`` (see its module docstring)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import DataError

from cryptovault.money import decimal_text

logger = logging.getLogger(__name__)


def decimal_columns_as_text(
    apps: Any, schema_editor: Any, app_label: str, model_names: Iterable[str]
) -> None:
    """Give an older embedded database exact decimal columns (a ``RunPython`` step).

    On ``cryptovault.db.sqlite3`` only: a table whose decimal columns are still declared
    ``decimal`` (NUMERIC affinity, values kept as REAL) is rebuilt with the backend's
    TEXT columns, then every value is rewritten as the plain text the backend writes
    (``1.0e-09`` as SQLite copies a REAL becomes ``0.00000000`` in an 8-place column).
    A fresh database already has TEXT columns and empty tables: nothing to do. On
    PostgreSQL (``numeric`` is exact) this does nothing.
    """
    from cryptovault.db.sqlite3.base import DECIMAL_TYPE, DatabaseOperations

    connection = schema_editor.connection
    if not isinstance(connection.ops, DatabaseOperations):
        return
    for name in model_names:
        model = apps.get_model(app_label, name)
        fields = [
            field
            for field in model._meta.local_concrete_fields
            if field.get_internal_type() == "DecimalField"
        ]
        if not fields:
            continue
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA table_info({schema_editor.quote_name(table)})")
            declared = {row[1]: str(row[2]).lower() for row in cursor.fetchall()}
        if any(declared.get(field.column) != DECIMAL_TYPE for field in fields):
            schema_editor._remake_table(model)
        _rewrite_plain(connection, schema_editor.quote_name, model, fields)


def _rewrite_plain(connection: Any, quote: Any, model: Any, fields: list[Any]) -> None:
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = [quote(field.column) for field in fields]
    updates = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {', '.join(columns)} FROM {table}")  # noqa: S608 - identifiers
        for row in cursor.fetchall():
            texts = [
                _plain(connection, field, raw) for field, raw in zip(fields, row[1:], strict=True)
            ]
            if texts != list(row[1:]):
                updates.append([*texts, row[0]])
        if updates:
            assignments = ", ".join(f"{column} = %s" for column in columns)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 - identifiers
                updates,
            )


def _plain(connection: Any, field: Any, raw: Any) -> str | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw) if isinstance(raw, str | int) else Decimal(str(raw))
    except InvalidOperation:
        logger.warning("%s.%s holds %r, not a number", field.model.__name__, field.name, raw)
        return str(raw)
    try:
        return str(
            connection.ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
        )
    except DataError:
        # A REAL rounded past the column's range (99999999999999999999.99999999 is 1e20
        # as a float): kept, in plain notation, for someone to look at.
        logger.warning("%s.%s holds %s, more than it can", field.model.__name__, field.name, raw)
        return decimal_text(value)
