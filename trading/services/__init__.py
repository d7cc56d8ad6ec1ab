"""Trading writes, cut by job; every public function is one database transaction.

- ``ledger``: balance locks in a fixed order, posting entries, settling a fill,
  batched writes (callers hold the transaction);
- ``funding``: demo dollars: a verified user's first ones, an operator's credit, and
  a paper account's reset to its start;
- ``orders``: placing and cancelling orders;
- ``matching``: filling the open orders a price tick crosses.

The rules an order must meet before anything is written live in
``trading.order_rules``; the fee in ``trading.fees``.
"""

from trading.errors import TradingError
from trading.services.funding import Reset, account_credit, account_fund_initial, account_reset
from trading.services.matching import on_tick
from trading.services.orders import Placed, order_cancel, order_place

__all__ = [
    "Placed",
    "Reset",
    "TradingError",
    "account_credit",
    "account_fund_initial",
    "account_reset",
    "on_tick",
    "order_cancel",
    "order_place",
]
