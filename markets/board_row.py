"""The price board's row, typed once: one coin's price as ``GET /api/crypto`` lists it
(SPEC §7), as the pages show it and as the ``/ws/prices`` socket sends it.

Rows are ``TypedDict``s, plain dicts at run time: the cache pickles them, the API and
the socket write them with ``json.dumps`` and the channel layer (msgpack) carries
them, all exactly as before they had a type. Every row is made by :func:`board_row`,
so the key order, and with it the bytes on the wire, is fixed here too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.utils import timezone

from cryptovault.dates import parse_moment
from cryptovault.money import cents, price_text
from markets.coingecko import number
from markets.models import Coin, PriceSource, PriceTick


class BoardRow(TypedDict):
    """One coin on the board; decimals are strings in plain notation, None when unknown."""

    id: str
    symbol: str
    name: str
    image: str
    price_usd: str | None
    change_24h_pct: str | None
    market_cap: str | None
    volume_24h: str | None
    last_updated: str | None
    source: str


class BoardRowAged(BoardRow):
    """A row as the socket and the pages show it: with its age at the moment it is sent."""

    age_seconds: float | None


class Board(TypedDict):
    """Every tracked coin at one moment (``at``, ISO 8601), labelled with where the
    board came from; each row carries its own label too (a coin may be stale alone)."""

    coins: list[BoardRow]
    source: str
    at: str


class BoardRead(Board):
    """The board as read: ``cached`` says whether this read found it in the cache."""

    cached: bool


def board_row(
    coin: Coin,
    *,
    source: str = PriceSource.COINGECKO.value,
    image: str | None = None,
    price_usd: str | None = None,
    change_24h_pct: str | None = None,
    market_cap: str | None = None,
    volume_24h: str | None = None,
    last_updated: str | None = None,
) -> BoardRow:
    """The row of ``coin``; a coin with no price yet has its names and None elsewhere."""
    return {
        "id": coin.id,
        "symbol": coin.symbol,
        "name": coin.name,
        "image": coin.image_url if image is None else image,
        "price_usd": price_usd,
        "change_24h_pct": change_24h_pct,
        "market_cap": market_cap,
        "volume_24h": volume_24h,
        "last_updated": last_updated,
        "source": source,
    }


def number_text(value: Any) -> str | None:
    """A number from CoinGecko or a tick as the board shows it: plain notation, the
    significant digits to 18 places and at least 8 (``"64250.12000000"``,
    ``"0.000000001206"``), never ``"1.2E-9"`` and never a tiny price rounded to 0;
    None for anything that is no finite number (read by ``coingecko.number``)."""
    amount = number(value)
    return None if amount is None else price_text(amount)


def row_from_tick(coin: Coin, tick: PriceTick) -> BoardRow:
    """The row a stored tick gives (the fallback when the cache holds no board)."""
    return board_row(
        coin,
        price_usd=number_text(tick.price),
        change_24h_pct=None if tick.change_24h_pct is None else str(tick.change_24h_pct),
        market_cap=number_text(tick.market_cap),
        volume_24h=number_text(tick.volume_24h),
        last_updated=tick.at.isoformat(),
        source=tick.source,
    )


def tick_from_row(coin: Coin, row: BoardRow, *, source: str, at: datetime) -> PriceTick:
    """The tick that stores a priced row (market cap and volume to the cent, as stored)."""
    price, change = row["price_usd"], row["change_24h_pct"]
    cap, volume = row["market_cap"], row["volume_24h"]
    if price is None:
        raise ValueError(f"{coin.id} has no price to store")
    return PriceTick(
        coin=coin,
        price=Decimal(price),
        change_24h_pct=None if change is None else Decimal(change),
        market_cap=None if cap is None else cents(Decimal(cap)),
        volume_24h=None if volume is None else cents(Decimal(volume)),
        source=source,
        at=at,
    )


def price_age_seconds(row: BoardRow, now: datetime | None = None) -> float | None:
    """Seconds since the row's price was quoted (0.1 s steps), None when unknown."""
    updated = parse_moment(row.get("last_updated") or "")
    if updated is None:
        return None
    now = timezone.now() if now is None else now
    return max(0.0, round((now - updated).total_seconds(), 1))


def row_aged(row: BoardRow, now: datetime | None = None) -> BoardRowAged:
    """``row`` with its ``age_seconds`` at ``now``."""
    return {**row, "age_seconds": price_age_seconds(row, now)}


def prices_by_coin(rows: list[BoardRow]) -> dict[str, Decimal]:
    """The price of each priced row, by coin id."""
    return {row["id"]: Decimal(row["price_usd"]) for row in rows if row["price_usd"]}
