"""Decimal strings (SPEC §4): one formatter, plain notation, never an exponent.

``str(Decimal("0.000000474762"))`` is ``"4.74762E-7"`` and DRF's ``DecimalField``
quantizes every value to its ``decimal_places``; neither fits a price that needs 12
places or an amount that the API shows with 8. Every decimal that leaves as text
(the API, the price board, the SQLite columns of ``cryptovault.db.sqlite3``) goes
through :func:`decimal_text`:

- amounts (USD, coin quantities, fees, balances): exactly ``MONEY_DECIMAL_PLACES``
  places, ``"64250.12000000"`` (:func:`amount_text`);
- unit prices: their significant digits to ``PRICE_DECIMAL_PLACES``, and at least
  ``MONEY_DECIMAL_PLACES``, so ``"64250.12000000"`` stays as it was and a coin at
  1.206e-09 is ``"0.000000001206"`` (:func:`price_text`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.conf import settings
from rest_framework import serializers

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
