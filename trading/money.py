"""Money arithmetic of trading: the places and the range the ledger can store (SPEC §4).

Every amount is stored in a ``DecimalField(max_digits=MONEY_MAX_DIGITS,
decimal_places=MONEY_DECIMAL_PLACES)``: 8 places, and less than 10^20. Quantizing a
larger number to 8 places needs more digits than Python's decimal context holds and
raises ``decimal.InvalidOperation``, so every number from outside and every amount
made from them (a notional, a fee, a hold, a balance after an entry) is checked with
``fits`` before it is quantized or written.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

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
    """The fee on ``notional``, rounded up to the 8th place: a trade worth anything pays
    at least 0.00000001 (rounded to nearest, a tiny trade paid nothing). Holds, fills and
    the checks before them all take the fee from here, so what a limit order holds is
    what its fill charges."""
    return q8(notional * settings.TRADING_FEE_RATE, ROUND_UP)


def notional_for_quote(quote_amount: Decimal) -> Decimal:
    """The largest notional (8 places) that ``quote_amount`` pays for, its fee included.

    A quote-amount buy takes ``quote_amount / price`` of this, rounded down: its notional
    then rounds to at most this one, so the buy never spends more than the amount.
    """
    notional = q8(quote_amount / (1 + settings.TRADING_FEE_RATE), ROUND_DOWN)
    # The division is rounded to the context's 28 digits, which may round up at the
    # largest amounts: step down until the notional and its (rounded-up) fee fit.
    while notional > 0 and notional + fee_for(notional) > quote_amount:
        notional -= Q8
    return notional
