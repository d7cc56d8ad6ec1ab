"""SQLite with exact decimals: every ``DecimalField`` column keeps its value as text.

Why. Django's SQLite backend declares a decimal column ``decimal``, which SQLite gives
NUMERIC affinity: the text Django writes is turned into a REAL, 15 significant digits
(``1234567890123.12345678`` comes back ``1234567890123.12``), read back through a float,
and summed in floating point (``990.99895618`` + ... = ``990.998956180001``). Money is
Decimal everywhere (SPEC §4), so the embedded mode must store what PostgreSQL's
``numeric`` stores: the exact value, up to the column's ``max_digits``.

How, in five parts:

1. **Storage.** A decimal column is declared ``decimal_text COLLATE "DECIMAL"``. The
   declared type contains ``TEXT``, so the column has TEXT affinity and SQLite keeps the
   string exactly as written.
2. **Writing** (:meth:`DatabaseOperations.adapt_decimalfield_value`): the value is
   rounded half up to the column's ``decimal_places`` (as ``numeric(p, s)`` rounds), a
   value with more integer digits than the column holds is a ``DataError`` (PostgreSQL's
   "numeric field overflow"), and the text is plain notation
   (``cryptovault.money.decimal_text``: ``"0.000000001206000000"``, never ``"1.206E-9"``).
   Lookups (``limit_price__gte=price``) go through the same function, so a bound value
   is text too.
3. **Comparing.** The ``DECIMAL`` collation, registered on every connection this backend
   opens, compares two texts as ``Decimal`` values. SQLite uses a column's collation for
   everything that compares the column: ``WHERE col >= %s``, ``ORDER BY``, indexes
   (the partial indexes on open orders' prices stay usable), ``CHECK (available >= 0)``,
   uniqueness, ``min()`` and ``max()``. A text that is no finite decimal sorts after
   every number, among others by its text, so the order stays total (an index needs it).
4. **Reading** (:meth:`DatabaseOperations.get_decimalfield_converter`): the text is read
   with ``Decimal(text)`` and quantized to the column's places, as PostgreSQL returns a
   ``numeric(p, s)``. A float (a column of a database not yet migrated, the result of SQL
   arithmetic) goes through 15 digits as Django's converter did.
5. **Migrating** an older database: ``cryptovault.db.migrations.decimal_columns_as_text``
   rebuilds each table whose decimal columns are still declared ``decimal`` and rewrites
   every value as plain text (old values keep the 15 digits the REAL had).

What it does not do: arithmetic. ``SUM()``, ``+`` or ``*`` in SQL turn the text into a
float again, so no money is computed in SQL: aggregates of money are summed in Python
(``trading.selectors.ledger_sums``), and no ``F()`` expression does arithmetic on a money
column. PostgreSQL needs none of this (``numeric`` is exact) and keeps Django's backend.

Outside Django: only connections opened by this backend know the collation. The
``sqlite3`` shell reads the tables, but a statement that compares a decimal column there
(or writes one, as the CHECK constraints compare) fails with "no such collation sequence:
DECIMAL". Query through Django (``manage.py shell``), or register a collation of that
name first.
"""

from __future__ import annotations

import functools
import sqlite3
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from django.db import DataError
from django.db.backends.sqlite3 import base, introspection, operations
from django.db.models.expressions import Col

from cryptovault.money import decimal_text

COLLATION = "DECIMAL"
DECIMAL_TYPE = "decimal_text"
DECIMAL_COLUMN = f'{DECIMAL_TYPE} COLLATE "{COLLATION}"'

# Django's own converter reads a REAL with 15 digits: all that SQLite keeps of one.
_FLOAT_DIGITS = Context(prec=15)


@functools.lru_cache(maxsize=65536)
def _order_key(text: str) -> tuple[int, Decimal, str]:
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        return (1, Decimal(0), text)
    if not number.is_finite():
        return (1, Decimal(0), text)
    return (0, number, "")


def decimal_collate(left: str, right: str) -> int:
    """The ``DECIMAL`` collation: ``"9.5" < "10"``, ``"1.0" == "1.00000000"``."""
    a, b = _order_key(left), _order_key(right)
    return (a > b) - (a < b)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return _FLOAT_DIGITS.create_decimal_from_float(value)
    return Decimal(value)


def _adapt_plain(value: Decimal) -> str:
    """A Decimal bound in raw SQL (``cursor.execute(sql, [value])``): plain text too."""
    return decimal_text(value) if value.is_finite() else str(value)


# Replaces Django's ``str`` (sqlite3 adapters are per module, so per process).
sqlite3.register_adapter(Decimal, _adapt_plain)


class DatabaseOperations(operations.DatabaseOperations):
    # A CAST cannot name a collation: a decimal is cast to text.
    cast_data_types = {**operations.DatabaseOperations.cast_data_types, "DecimalField": "TEXT"}

    def adapt_decimalfield_value(
        self, value: Any, max_digits: int | None = None, decimal_places: int | None = None
    ) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = _decimal(value)
        if decimal_places is None:
            return decimal_text(value)
        integer_digits = None if max_digits is None else max_digits - decimal_places
        rounded = value
        if integer_digits is None or value.adjusted() < integer_digits:
            rounded = value.quantize(
                Decimal(1).scaleb(-decimal_places),
                rounding=ROUND_HALF_UP,
                context=Context(prec=(max_digits or 0) + decimal_places + 2),
            )
        overflows = integer_digits is not None and rounded.adjusted() >= integer_digits
        if overflows and not rounded.is_zero():
            raise DataError(
                f"numeric field overflow: {decimal_text(value)} needs more than "
                f"{integer_digits} integer digits"
            )
        return decimal_text(rounded, decimal_places)

    def get_decimalfield_converter(self, expression: Any) -> Any:
        if isinstance(expression, Col):
            field: Any = expression.output_field
            quantum = Decimal(1).scaleb(-field.decimal_places)
            context = Context(prec=field.max_digits + 2)

            def converter(value: Any, expression: Any, connection: Any) -> Decimal | None:
                if value is None:
                    return None
                return _decimal(value).quantize(quantum, context=context)

        else:

            def converter(value: Any, expression: Any, connection: Any) -> Decimal | None:
                return None if value is None else _decimal(value)

        return converter


class FlexibleFieldLookupDict(introspection.FlexibleFieldLookupDict):
    base_data_types_reverse = {
        **introspection.FlexibleFieldLookupDict.base_data_types_reverse,
        DECIMAL_TYPE: "DecimalField",
    }


class DatabaseIntrospection(introspection.DatabaseIntrospection):
    data_types_reverse = FlexibleFieldLookupDict()


class DatabaseWrapper(base.DatabaseWrapper):
    data_types = {**base.DatabaseWrapper.data_types, "DecimalField": DECIMAL_COLUMN}
    ops_class = DatabaseOperations
    introspection_class = DatabaseIntrospection

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        connection.create_collation(COLLATION, decimal_collate)
        return connection
