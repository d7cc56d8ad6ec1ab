"""The trading fee (SPEC §4), defined once: what an order pays, what a quote amount buys.

The fee is ``TRADING_FEE_RATE`` of the notional, charged in USD. The page's ticket shows
the same numbers through ``trading.quotes`` (never a second formula in JavaScript).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.conf import settings

from cryptovault.money import Q8, q8


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


def trade_value(quantity: Decimal, price: Decimal) -> tuple[Decimal, Decimal]:
    """``(notional, fee)`` of trading ``quantity`` at ``price``: the notional to the 8th
    place, the fee on the exact value (a notional that rounds to 0 still pays
    0.00000001). A fill settles these, a resting buy holds their sum, the ticket's quote
    shows them."""
    value = quantity * price
    return q8(value), fee_for(value)
