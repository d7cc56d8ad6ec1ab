"""Money, defined once: the places and range of every amount and price, quantizing,
plain-notation text, and the model, serializer and form fields that hold them (SPEC §4).

- **Amounts** (USD, coin quantities, fees, balances) are stored with
  ``MONEY_DECIMAL_PLACES`` (8) places below 10^20 (``MONEY_MAX_DIGITS``): ``q8``
  quantizes, ``fits`` says whether a column can hold a value (quantizing a larger number
  needs more digits than Python's decimal context holds and raises
  ``decimal.InvalidOperation``, so every number from outside and every amount made from
  them is checked first), ``amount_text`` writes ``"4995.00000000"``.
- **Unit prices** have ``PRICE_DECIMAL_PLACES`` (18): a coin at 1.206e-09 is not 0.
  ``price_text`` writes their significant digits, at least 8 places.
- **Display** (what a person reads: ``"$1,234.50"``) is ``cryptovault.display``.

``str(Decimal("0.000000474762"))`` is ``"4.74762E-7"`` and DRF's ``DecimalField``
quantizes every value to its ``decimal_places``; neither fits a price that needs 12
places. Every decimal that leaves as text (the API, the price board, the SQLite
columns of ``cryptovault.db.sqlite3``) goes through :func:`decimal_text`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from rest_framework import serializers

Q8: Decimal = settings.MONEY_QUANTUM  # Decimal("0.00000001")
CENT: Decimal = settings.USD_DISPLAY_QUANTUM  # Decimal("0.01")
# The first amount a money column cannot hold (10^20), and the largest it can.
MONEY_LIMIT = Decimal(10) ** (settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES)
MONEY_MAX = MONEY_LIMIT - Q8
# Written out in messages so that a client sees the bound it crossed.
LARGEST = f"{MONEY_MAX:,}"  # 99,999,999,999,999,999,999.99999999

# Wide enough to quantize any value a column or a request can hold (a 38-digit price,
# a 1,000-character number that DRF lets in) without InvalidOperation.
_WIDE = Context(prec=2000)


def decimal_text(
    value: Decimal, places: int | None = None, *, min_places: int | None = None
) -> str:
    """``value`` in plain notation: ``"0.000000001206"``, never ``"1.206E-9"``.

    - ``places`` alone: rounded half up to ``places`` decimals, all of them shown
      (``decimal_text(Decimal("5"), 8) == "5.00000000"``);
    - with ``min_places`` too: rounded to ``places``, then trailing zeros dropped down to
      ``min_places`` (a price: ``decimal_text(p, 18, min_places=8)``);
    - neither: the value's own digits.

    Zero has no sign (``-0E-8`` is ``"0.00000000"``). A NaN or an infinity is a
    ValueError: it is no amount and no price.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_WIDE)
    if min_places is not None:
        trimmed = value.normalize(context=_WIDE)
        if trimmed.as_tuple().exponent > -min_places:  # type: ignore[operator]
            # No more than min_places significant decimals: show exactly min_places.
            trimmed = trimmed.quantize(Decimal(1).scaleb(-min_places), context=_WIDE)
        value = trimmed
    if value.is_zero():
        value = value.copy_abs()
    return format(value, "f")


def amount_text(value: Decimal) -> str:
    """An amount as the API shows it: ``"4995.00000000"``."""
    return decimal_text(value, settings.MONEY_DECIMAL_PLACES)


def price_text(value: Decimal) -> str:
    """A unit price as the API shows it: ``"64250.12000000"``, ``"0.000000001206"``."""
    return decimal_text(
        value, settings.PRICE_DECIMAL_PLACES, min_places=settings.MONEY_DECIMAL_PLACES
    )


class PlainDecimalField(serializers.DecimalField):
    """DRF's ``DecimalField`` whose strings never hold an exponent.

    Output goes through :func:`decimal_text`: ``decimal_places`` of them, or with
    ``min_places`` the significant ones between the two. Input is DRF's (it checks
    ``max_digits`` and ``decimal_places``).
    """

    def __init__(self, *args: Any, min_places: int | None = None, **kwargs: Any) -> None:
        self.min_places = min_places
        super().__init__(*args, **kwargs)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value).strip())
        return decimal_text(value, self.decimal_places, min_places=self.min_places)


def price_field(**kwargs: Any) -> PlainDecimalField:
    """A unit price in the API: up to 18 places in, its significant digits out."""
    return PlainDecimalField(
        max_digits=settings.PRICE_MAX_DIGITS,
        decimal_places=settings.PRICE_DECIMAL_PLACES,
        min_places=settings.MONEY_DECIMAL_PLACES,
        **kwargs,
    )


def amount_field(**kwargs: Any) -> PlainDecimalField:
    """An amount in the API: 8 places in and out."""
    return PlainDecimalField(
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        **kwargs,
    )


# --- quantizing -------------------------------------------------------------------


def fits(value: Decimal) -> bool:
    """True when ``value`` (rounded to 8 places) can be stored in a money column."""
    return value.is_finite() and abs(value) <= MONEY_MAX


def q8(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """An amount to the 8 places it is stored with."""
    return value.quantize(Q8, rounding=rounding)


def cents(value: Decimal) -> Decimal:
    """Dollars to the cent (market caps and volumes are stored so)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- model and form fields ----------------------------------------------------------


def amount_model_field(**options: Any) -> models.DecimalField:
    """An amount column: USD, a coin quantity, a fee, a balance (8 places, below 10^20)."""
    return models.DecimalField(
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        **options,
    )


def price_model_field(**options: Any) -> models.DecimalField:
    """A column holding the USD price of one coin: 18 places, so no listed coin is 0."""
    return models.DecimalField(
        max_digits=settings.PRICE_MAX_DIGITS,
        decimal_places=settings.PRICE_DECIMAL_PLACES,
        **options,
    )


def amount_form_field(**options: Any) -> forms.DecimalField:
    """A form's amount: what the ledger stores; amounts made from it are checked by the
    service."""
    return forms.DecimalField(
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        **options,
    )


def price_form_field(**options: Any) -> forms.DecimalField:
    """A form's unit price, with the places of the price columns."""
    return forms.DecimalField(
        max_digits=settings.PRICE_MAX_DIGITS,
        decimal_places=settings.PRICE_DECIMAL_PLACES,
        **options,
    )


def percent_field(**kwargs: Any) -> PlainDecimalField:
    """A percentage in the API: 4 places."""
    return PlainDecimalField(max_digits=28, decimal_places=4, **kwargs)
