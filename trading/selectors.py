"""Trading reads."""

from __future__ import annotations


def orders_waiting_for_price() -> bool:
    """True while any open limit or stop order needs price ticks to fill."""
    return False
