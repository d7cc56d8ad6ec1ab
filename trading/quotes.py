"""The ticket's estimate, from the rules that place the order (SPEC §4).

``order_quote`` checks an order as ``order_place`` does (``trading.order_rules``), values
it at the price it would trade or rest at, and says what it would cost or yield with the
fee (``trading.fees``): the page shows these numbers, never a formula of its own. It only
reads: nothing is placed or held, and it does not count against the orders-per-minute
limit. It does not look at balances either: enough funds is the order's own question.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Unpack

from trading.fees import trade_value
from trading.models import OrderType, Side
from trading.order_rules import (
    OrderFields,
    coin_tradable,
    market_price,
    order_body_check,
    order_size,
)


@dataclass(frozen=True)
class Quote:
    """What an order would trade now: ``quantity`` at ``price``, its notional and fee, and
    the ``total`` the buyer pays (fee added) or the seller receives (fee taken off)."""

    coin_id: str
    side: str
    type: str
    price: Decimal
    quantity: Decimal
    notional: Decimal
    fee: Decimal
    total: Decimal


def order_quote(**fields: Unpack[OrderFields]) -> Quote:
    """What ``order_place`` with these fields would charge or credit now, or the same
    ``TradingError`` it would raise for them."""
    body = order_body_check(**fields)
    coin = coin_tradable(body.coin_id)
    market = market_price(coin) if body.type == OrderType.MARKET else None
    sized = order_size(body, market)
    price = market if market is not None else body.reference_price
    assert price is not None  # order_size refuses an order without one
    notional, fee = trade_value(sized, price)  # what the fill settles, a resting buy holds
    total = notional + fee if body.side == Side.BUY else notional - fee
    return Quote(coin.id, body.side, body.type, price, sized, notional, fee, total)
