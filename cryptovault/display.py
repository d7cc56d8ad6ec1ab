"""Numbers and moments as a person reads them, written once for every page.

The same rules as ``static/js/lib/format.js`` (pages that update live format there):

- ``usd_text``: dollars to the cent, ``"$1,234.56"``, ``"-$0.95"``; a non-zero amount
  under a cent keeps its digits, to the 8 places amounts have (``"$0.001206"``: a fee
  that small is still charged, to the last place); ``"—"`` for none;
- ``price_text_usd``: a coin's price, to the cent from $1 (``"$95,126.44"``), else four
  significant digits (``"$0.1803"``, ``"$0.000001206"``);
- ``usd_whole_text``: whole dollars for market caps and volumes (``"$1,902,528,869,800"``);
- ``quantity_text``: a coin quantity with its significant places, at most 8
  (``"0.01"``, ``"1,250.5"``);
- ``percent_text``: a change with its sign, two places (``"+3.19%"``, ``"-2.89%"``);
- ``moment_text``: a moment in UTC with its zone (``"1 Dec 2026, 16:48 UTC"``); pages
  show it in the reader's own zone (``format.js`` rewrites each ``<time>``).

Rounding is half up, on the decimal itself (never through a float).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cryptovault.money import CENT, Q8

NONE = "—"


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _significant(number: Decimal, digits: int) -> Decimal:
    """``number`` rounded half up to ``digits`` significant digits."""
    exponent = number.copy_abs().adjusted() - digits + 1
    return number.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _dollars(number: Decimal, places: int) -> str:
    sign = "-" if number < 0 else ""
    return f"{sign}${abs(number):,.{places}f}"


def usd_text(value: object) -> str:
    """Dollars to the cent; under a cent, two significant digits; ``"—"`` for none."""
    number = _decimal(value)
    if number is None:
        return NONE
    if number and abs(number) < CENT:
        small = number.quantize(Q8, rounding=ROUND_HALF_UP).normalize()
        sign = "-" if small < 0 else ""
        return f"{sign}${abs(small):f}"
    return _dollars(number.quantize(CENT, rounding=ROUND_HALF_UP), 2)


def price_text_usd(value: object) -> str:
    """A coin's price: to the cent from $1, else four significant digits."""
    number = _decimal(value)
    if number is None:
        return NONE
    small = _significant(number, 4) if number else number
    if not small or abs(small) >= 1:  # 0.99996 rounds to a dollar: shown as one, in cents
        return usd_text(number)
    sign = "-" if small < 0 else ""
    return f"{sign}${abs(small):f}"


def usd_whole_text(value: object) -> str:
    """Whole dollars: ``"$1,234,568"``."""
    number = _decimal(value)
    if number is None:
        return NONE
    return _dollars(number.quantize(Decimal(1), rounding=ROUND_HALF_UP), 0)


def quantity_text(value: object) -> str:
    """A coin quantity: its significant places (at most 8), thousands grouped."""
    number = _decimal(value)
    if number is None:
        return NONE
    rounded = number.quantize(Q8, rounding=ROUND_HALF_UP).normalize()
    if rounded.is_zero():
        return "0"
    places = max(0, -rounded.as_tuple().exponent)  # type: ignore[operator]
    return f"{rounded:,.{places}f}"


def percent_text(value: object) -> str:
    """A change with its sign, to two places: ``"+3.19%"``, ``"-2.89%"``, ``"0.00%"``."""
    number = _decimal(value)
    if number is None:
        return NONE
    rounded = number.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        return "0.00%"
    return f"{'+' if rounded > 0 else ''}{rounded:.2f}%"


def moment_text(value: datetime | None) -> str:
    """A moment in UTC, with its zone: ``"1 Dec 2026, 16:48 UTC"``."""
    if value is None:
        return NONE
    moment = value.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
