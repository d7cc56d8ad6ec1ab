"""Trading writes, cut by job; every public function is one database transaction.

- ``ledger``: balance locks in a fixed order, posting entries, settling a fill,
  batched writes (callers hold the transaction);
- ``orders``: demo dollars for a verified user, placing and cancelling orders;
- ``matching``: filling the open orders a price tick crosses.

The rules an order must meet before anything is written live in
``trading.order_rules``; the fee in ``trading.fees``.
"""

from trading.errors import TradingError
from trading.services.matching import on_tick
from trading.services.orders import Placed, account_fund_initial, order_cancel, order_place

__all__ = [
    "Placed",
    "TradingError",
    "account_fund_initial",
    "on_tick",
    "order_cancel",
    "order_place",
]
