"""What an order may be, checked before anything is written (SPEC §4).

``order_body_check`` applies the request's own rules; ``order_size`` the rules that
need a price (the notional and fee at the market, limit or stop price fit the ledger
and are worth at least ``MIN_ORDER_USD``). The order service and the ticket's quote
(``trading.quotes``) both go through these, so what the ticket estimates is what the
order then does. A field that does not belong to the order's type (a limit price on a
market order, a quote amount on a sell) is a 400 naming it: never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Context, Decimal
from typing import Required, TypedDict, Unpack

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from cryptovault.money import LARGEST, fits, q8
from markets.models import Coin
from markets.services import coin_price_fresh, price_stale_after_seconds
from trading.errors import TradingError, invalid
from trading.fees import notional_for_quote, trade_value
from trading.models import Order, OrderType, Side

# Digits enough to quantize any number below 10^20 to a price's 18 places.
_WIDE = Context(prec=settings.PRICE_MAX_DIGITS + 2)
COIN_MEMO_SECONDS = 30
# What a CoinGecko id looks like; anything else is looked up, never a memo key.
_COIN_ID = re.compile(r"[a-z0-9][a-z0-9.-]{0,63}")


@dataclass(frozen=True)
class OrderBody:
    """What a client asked for, checked: the "body" that a repeated ``client_order_id``
    must match (SPEC §4). Every field of it belongs to its type (``order_body_check``
    refuses the others), so every field is stored and compared."""

    coin_id: str
    side: str
    type: str
    quantity: Decimal | None
    quote_amount: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None

    @property
    def price_field(self) -> str:
        """The name of the price the order is valued at, for messages."""
        names = {OrderType.LIMIT.value: "limit_price", OrderType.STOP.value: "stop_price"}
        return names.get(self.type, "price")

    @property
    def reference_price(self) -> Decimal | None:
        """The limit or stop price it is valued at; None for a market order."""
        return self.limit_price or self.stop_price

    def matches(self, order: Order) -> bool:
        """Numbers compare by value ("1" is "1.00000000"). A quote-amount buy stores the
        quantity it bought, which the client never sent."""
        stored_quantity = None if order.quote_amount is not None else order.quantity
        return (
            self.coin_id,
            self.side,
            self.type,
            self.quantity,
            self.quote_amount,
            self.limit_price,
            self.stop_price,
        ) == (
            order.coin_id,
            order.side,
            order.type,
            stored_quantity,
            order.quote_amount,
            order.limit_price,
            order.stop_price,
        )


def coin_tradable(coin_id: str) -> Coin:
    """The tracked coin ``coin_id``, or a 400 ``unknown_coin``.

    Coins are few and rarely change, and every order asks: a tracked coin is kept in
    this process's memo for ``COIN_MEMO_SECONDS`` (a coin an operator stops tracking
    is refused everywhere within that; its price goes stale anyway)."""
    memo = caches["process"]
    key = f"trading:coin:{coin_id}" if _COIN_ID.fullmatch(coin_id) else None
    coin: Coin | None = memo.get(key) if key else None
    if coin is None:
        coin = Coin.objects.filter(pk=coin_id, is_tracked=True).first()
        if coin is None:
            raise invalid("unknown_coin", f"{coin_id!r} is not a tradable coin.", "coin")
        if key:
            memo.set(key, coin, COIN_MEMO_SECONDS)
    return coin


def market_price(coin: Coin) -> Decimal:
    """The price a market order of ``coin`` trades at now, or a 400 ``price_unavailable``.

    Read (and refreshed, which may call CoinGecko) before any lock is taken."""
    tick = coin_price_fresh(coin_id=coin.id)
    if tick is None:
        limit = price_stale_after_seconds()
        raise invalid(
            "price_unavailable",
            f"No price of {coin.name} newer than {limit} seconds; try again shortly.",
        )
    return tick.price


def market_price_unrefreshed(tick: tuple[Decimal, datetime] | None) -> Decimal | None:
    """The price of ``tick`` (``(price, at)``, the newest) when a market order may trade
    at it as it stands: above 0 and quoted within ``PRICE_REFRESH_SECONDS``, as
    ``market_price`` would answer it without refreshing. None: ask ``market_price``."""
    if tick is None:
        return None
    price, at = tick
    fresh = (timezone.now() - at).total_seconds() <= settings.PRICE_REFRESH_SECONDS
    return price if fresh and price > 0 else None


def _positive(
    value: Decimal | None,
    field: str,
    code: str = "invalid_quantity",
    places: int = settings.MONEY_DECIMAL_PLACES,
) -> Decimal:
    """``value``, a positive number that its column (``places`` decimals) holds as given."""
    if value is None or not value.is_finite() or value <= 0:
        raise invalid(code, f"{field} must be a positive number.", field)
    if not fits(value):
        raise invalid("too_large", f"{field} is too large: the most is {LARGEST}.", field)
    if value != value.quantize(Decimal(1).scaleb(-places), ROUND_DOWN, _WIDE):
        raise invalid(code, f"{field} has at most {places} decimal places.", field)
    return value


class OrderFields(TypedDict, total=False):
    """An order as a client gives it, unchecked: the keyword arguments of
    ``order_place``, ``order_quote`` and ``order_body_check`` (the API's input serializer
    validates into exactly these)."""

    coin_id: Required[str]
    side: Required[str]
    type: Required[str]
    quantity: Decimal | None
    quote_amount: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None


def order_body_check(**fields: Unpack[OrderFields]) -> OrderBody:
    """The request's own rules, before anything is read or written.

    A field of another order type is refused, not dropped: a limit price typed on a
    market order would otherwise fill at the market, at a price the client never asked
    for (SPEC §4).
    """
    coin_id, side, type = fields["coin_id"], fields["side"], fields["type"]
    quantity, quote_amount = fields.get("quantity"), fields.get("quote_amount")
    limit_price, stop_price = fields.get("limit_price"), fields.get("stop_price")
    if side not in Side.values:
        raise invalid("invalid_side", "side must be buy or sell.", "side")
    if type not in OrderType.values:
        raise invalid("invalid_type", "type must be market, limit or stop.", "type")
    if limit_price is not None and type != OrderType.LIMIT:
        raise invalid(
            "invalid_price", f"limit_price is for limit orders only, not {type}.", "limit_price"
        )
    if stop_price is not None and type != OrderType.STOP:
        raise invalid(
            "invalid_price", f"stop_price is for stop orders only, not {type}.", "stop_price"
        )
    if quote_amount is not None and not (type == OrderType.MARKET and side == Side.BUY):
        raise invalid("invalid_quantity", "quote_amount is for market buys only.", "quote_amount")
    # A unit price has the places a coin at $0.000000001206 needs (PRICE_DECIMAL_PLACES).
    if type == OrderType.LIMIT:
        _positive(limit_price, "limit_price", "invalid_price", settings.PRICE_DECIMAL_PLACES)
    if type == OrderType.STOP:
        _positive(stop_price, "stop_price", "invalid_price", settings.PRICE_DECIMAL_PLACES)
    if quote_amount is not None:
        if quantity is not None:
            raise invalid(
                "invalid_quantity", "Give quantity or quote_amount, not both.", "quantity"
            )
        _positive(quote_amount, "quote_amount")
    else:
        _positive(quantity, "quantity")
    return OrderBody(coin_id, side, type, quantity, quote_amount, limit_price, stop_price)


def order_size(body: OrderBody, price: Decimal | None) -> Decimal:
    """The order's quantity, once every amount it will write (the notional and the fee
    at the market, limit or stop price; the hold; the quantity a quote amount buys) is
    known to fit the ledger's columns and to be worth at least ``MIN_ORDER_USD``."""
    reference = price if body.type == OrderType.MARKET else body.reference_price
    if reference is None or not reference.is_finite() or reference <= 0:
        # Never divide by it: a price stored as 0 (too small for its column) is no price.
        raise invalid("price_unavailable", "No usable price for this coin; try again shortly.")
    minimum = settings.MIN_ORDER_USD
    if body.quote_amount is not None:
        if body.quote_amount < minimum:
            raise invalid(
                "below_minimum",
                f"quote_amount is less than the smallest order, {minimum} USD.",
                "quote_amount",
            )
        bought = notional_for_quote(body.quote_amount) / reference
        if not fits(bought):
            raise invalid(
                "too_large",
                f"quote_amount buys more than {LARGEST} coins at this price.",
                "quote_amount",
            )
        quantity = q8(bought, ROUND_DOWN)
        if quantity <= 0:
            raise invalid(
                "invalid_quantity", "quote_amount buys less than 0.00000001.", "quote_amount"
            )
        return quantity
    assert body.quantity is not None
    notional = body.quantity * reference
    if not (fits(notional) and fits(sum(trade_value(body.quantity, reference), Decimal(0)))):
        raise invalid(
            "too_large",
            f"quantity x {body.price_field}, fee included, is more than an order can be "
            f"worth ({LARGEST} USD); lower the quantity.",
            "quantity",
        )
    if notional < minimum:
        raise invalid(
            "below_minimum",
            f"quantity x {body.price_field} is less than the smallest order, {minimum} USD; "
            "raise the quantity.",
            "quantity",
        )
    return body.quantity


def order_replay_check(existing: Order, body: OrderBody) -> None:
    """A retry may get the first order back; another body under the same id is a 409."""
    if not body.matches(existing):
        raise TradingError(
            "idempotency_conflict",
            f"client_order_id {existing.client_order_id!r} was already used for order "
            f"#{existing.pk} with a different body; use a new id for a new order.",
            status_code=409,
            field="client_order_id",
        )
