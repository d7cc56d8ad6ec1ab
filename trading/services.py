"""Trading writes. The engine (orders, balances, ledger) arrives with the trading issue.

``on_tick`` is the contract the price feed calls on every refresh; until orders
exist there is nothing to fill.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal


def on_tick(*, prices: Mapping[str, Decimal], at: datetime) -> int:
    """Fill every open order the new prices cross; returns how many were filled."""
    return 0
