"""Trading's answers to other apps' announcements (``cryptovault.events``).

Each receiver calls one service or selector of trading and nothing more; they are
connected in ``TradingConfig.ready()``. The order sockets' receiver is
``trading.consumers.orders_push`` (a screen: it is connected there too, so that no
rules module imports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from accounts.models import User
from trading.selectors import orders_waiting_for_price
from trading.services import account_fund_initial, on_tick


def user_verified_fund(sender: object, *, user: User, **kwargs: Any) -> None:
    """A verified user gets their demo dollars, in the verifying transaction."""
    account_fund_initial(user=user)


def prices_ticked_match(
    sender: object, *, prices: Mapping[str, Decimal], at: datetime, **kwargs: Any
) -> int:
    """Fresh prices fill the open orders they cross; answers how many were filled."""
    return on_tick(prices=prices, at=at)


def prices_wanted_for_orders(sender: object, **kwargs: Any) -> bool:
    """Open limit and stop orders need prices even when no page is open."""
    return orders_waiting_for_price()
