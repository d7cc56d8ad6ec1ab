"""Money arithmetic of trading: the places and the range the ledger can store (SPEC §4).

Every amount is stored in a ``DecimalField(max_digits=MONEY_MAX_DIGITS,
decimal_places=MONEY_DECIMAL_PLACES)``: 8 places, and less than 10^20. Quantizing a
larger number to 8 places needs more digits than Python's decimal context holds and
raises ``decimal.InvalidOperation``, so every number from outside and every amount
made from them (a notional, a fee, a hold, a balance after an entry) is checked with
``fits`` before it is quantized or written.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

Q8: Decimal = settings.MONEY_QUANTUM  # Decimal("0.00000001")
# The first amount a money column cannot hold (10^20), and the largest it can.
MONEY_LIMIT = Decimal(10) ** (settings.MONEY_MAX_DIGITS - settings.MONEY_DECIMAL_PLACES)
MONEY_MAX = MONEY_LIMIT - Q8


def fits(value: Decimal) -> bool:
    """True when ``value`` (rounded to 8 places) can be stored in a money column."""
    return value.is_finite() and abs(value) <= MONEY_MAX


def q8(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    return value.quantize(Q8, rounding=rounding)


def fee_for(notional: Decimal) -> Decimal:
    return q8(notional * settings.TRADING_FEE_RATE)
