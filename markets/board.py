"""The price board: every tracked coin's price, cached, single-flight, budgeted,
labelled with its source.

The board is refreshed from ONE upstream call for all coins, by one caller at a
time (:mod:`markets.single_flight`). When CoinGecko fails (or the credit budget is
spent, or it asked us to wait) the last good board is served with ``source:
"stale"`` and its age; with ``PRICE_SOURCE=auto`` and nothing good to fall back on,
the seeded walk of :mod:`markets.simulated` keeps the product usable offline. Every
fresh board is stored as price ticks, the history of record.

CoinGecko's answers are taken as they really come (``reference/coingecko.md``):
``[]`` from ``/coins/markets`` is a failed refresh, not an empty market; a coin left
out of the answer keeps its last price, labelled ``stale`` on its own row.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.utils import timezone

from cryptovault.dates import parse_moment
from markets import budget, coingecko
from markets.board_row import (
    Board,
    BoardRead,
    BoardRow,
    board_row,
    number_text,
    row_from_tick,
    tick_from_row,
)
from markets.coingecko import CoinGeckoError, number
from markets.models import Coin, PriceSource, PriceTick
from markets.selectors import coins_tracked
from markets.simulated import simulated_step
from markets.single_flight import single_flight

logger = logging.getLogger(__name__)

BOARD_KEY = "markets:prices"
BOARD_LAST_GOOD_KEY = "markets:prices:last-good"
REFRESH_GATE_KEY = "markets:prices:refresh-gate"
SPARKLINES_KEY = "markets:prices:sparklines"
CHANGE_PCT_LIMIT = Decimal(10) ** 8  # change_24h_pct holds 12 digits, 4 after the point
# How long a process answers from its memo before reading the shared board again: a
# second at most, so every process still follows the shared value.
MEMO_SECONDS = 1.0
MEMO_KEY = "markets:prices:memo"  # in the "process" cache: which memo is current
_memo_reading = threading.Lock()  # held by the one thread re-reading the shared board
# This process's memo as objects (token, fresh until, board): a local-memory cache
# would unpickle the whole board on every read. It is valid while its token is in
# the "process" cache, so clearing that cache (as the tests do) drops it.
_memo: tuple[int, float, Board] | None = None
_memo_tokens = itertools.count(1)


def prices_board(*, now: datetime | None = None) -> BoardRead:
    """Every tracked coin's row, from this process's memo, the shared cache, or one
    refresh; ``cached`` says whether it was already there.

    The memo is followed for ``MEMO_SECONDS``; then ONE thread of the process reads
    the shared cache again while the others keep answering from the memo, so a
    process never has every thread waiting on Redis (or on a refresh) at once. The
    memo's rows are shared by every reader of this process: copy a row to change it."""
    memo = _memo
    if memo is None or caches["process"].get(MEMO_KEY) != memo[0]:
        return _board_shared(now)
    _, fresh_until, board = memo
    if time.monotonic() < fresh_until or not _memo_reading.acquire(blocking=False):
        return {**board, "cached": True}
    try:
        return _board_shared(now)
    finally:
        _memo_reading.release()


def _board_shared(now: datetime | None) -> BoardRead:
    """The board from the shared cache (kept in the memo), else from one refresh."""
    global _memo
    board: Board | None = cache.get(BOARD_KEY)
    if board is not None:
        token = next(_memo_tokens)
        _memo = (token, time.monotonic() + MEMO_SECONDS, board)
        caches["process"].set(MEMO_KEY, token, board_cache_seconds())
        return {**board, "cached": True}
    board = single_flight(
        BOARD_KEY,
        lambda: _board_refresh(now),
        timeout=board_cache_seconds(),
        fallback=lambda: _board_fallback(now),
    )
    return {**board, "cached": False}


def board_cache_seconds() -> int:
    """How long the shared board is served before one caller refreshes it:
    ``PRICE_CACHE_SECONDS``, never longer than the refresh period. (Kept 60 s under a
    20 s refresh, the pro plan's, the board stored no tick for a minute, and market
    orders were refused as stale, past two refresh periods, for the last 20 s of it.)"""
    return min(settings.PRICE_CACHE_SECONDS, settings.PRICE_REFRESH_SECONDS)


def board_make(
    rows: list[BoardRow],
    source: str,
    now: datetime,
    sparks: dict[str, list[float]] | None = None,
) -> Board:
    """The board every reader shares; the 7-day sparklines (only the page draws them)
    are kept apart so that the board stays small on the wire and in the cache."""
    sparks = {coin_id: spark for coin_id, spark in (sparks or {}).items() if spark}
    if sparks:  # a coin missing from this answer keeps its last sparkline
        cache.set(SPARKLINES_KEY, {**sparklines(), **sparks}, None)
    return {"coins": rows, "source": str(source), "at": now.isoformat()}


def sparklines() -> dict[str, list[float]]:
    """The last 7-day sparkline of each coin, by id."""
    return cache.get(SPARKLINES_KEY) or {}


def _board_refresh(now: datetime | None) -> Board:
    now = timezone.now() if now is None else now
    coins = coins_tracked()
    if not coins:
        return board_make([], PriceSource.COINGECKO, now)
    if settings.PRICE_SOURCE == "simulated":
        return _board_simulated(coins, now)
    if not cache.add(REFRESH_GATE_KEY, 1, settings.PRICE_REFRESH_SECONDS):
        failure = "refreshed less than PRICE_REFRESH_SECONDS ago"
    elif not budget.credits_available(now):
        failure = "the monthly CoinGecko credit budget is spent for now"
    else:
        try:
            rows = coingecko.client().markets(coin.id for coin in coins)
        except CoinGeckoError as error:
            failure = str(error)
        else:
            board = _board_from_upstream(coins, rows, now)
            if board is not None:
                cache.set(BOARD_LAST_GOOD_KEY, board, None)
                return board
            # "[]" (or no usable price at all) is CoinGecko failing, not the market
            # emptying: keep the last prices rather than blank the board.
            failure = f"/coins/markets answered no price for any tracked coin ({len(rows)} rows)"
    logger.warning("Prices not refreshed from CoinGecko: %s", failure)
    return _board_fallback(now, coins)


def _board_fallback(now: datetime | None, coins: list[Coin] | None = None) -> Board:
    """The last good board as stale, else the simulated walk (auto), else stored ticks."""
    now = timezone.now() if now is None else now
    last: Board | None = cache.get(BOARD_LAST_GOOD_KEY)
    if last is None:
        last = board_from_ticks(only_real=True)
    if last is not None and last["coins"]:
        rows: list[BoardRow] = [{**row, "source": PriceSource.STALE.value} for row in last["coins"]]
        return {**last, "coins": rows, "source": PriceSource.STALE.value}
    coins = coins_tracked() if coins is None else coins
    if settings.PRICE_SOURCE in ("auto", "simulated"):
        return _board_simulated(coins, now)
    return board_make([], PriceSource.STALE, now)


def _board_simulated(coins: list[Coin], now: datetime) -> Board:
    rows, sparks = simulated_step(coins, now)
    return board_make(rows, PriceSource.SIMULATED, now, sparks)


def _board_from_upstream(
    coins: list[Coin], answer: list[dict[str, Any]], now: datetime
) -> Board | None:
    """The board from one ``/coins/markets`` answer, or None when it priced no coin.

    A coin left out of the answer (or sent without a price) keeps its last real
    price, labelled ``stale`` on its own row with its own age; a coin never priced
    is left out. Only the coins priced now are stored as ticks."""
    by_id = {item.get("id"): item for item in answer}
    fresh: dict[str, BoardRow] = {}
    sparks: dict[str, list[float]] = {}
    ticks = []
    for coin in coins:
        item = by_id.get(coin.id)
        price = _price(item.get("current_price")) if item else None
        if item is None or price is None:
            continue
        updated = parse_moment(str(item.get("last_updated") or "")) or now
        image = item.get("image") if isinstance(item.get("image"), str) else ""
        fresh[coin.id] = row = board_row(
            coin,
            image=image or coin.image_url,
            price_usd=price,
            change_24h_pct=_change_pct(item.get("price_change_percentage_24h")),
            market_cap=number_text(item.get("market_cap")),
            volume_24h=number_text(item.get("total_volume")),
            last_updated=updated.isoformat(),
        )
        sparks[coin.id] = _sparkline(item.get("sparkline_in_7d"))
        ticks.append(tick_from_row(coin, row, source=PriceSource.COINGECKO, at=updated))
        if image and image != coin.image_url and len(image) <= 500:
            Coin.objects.filter(pk=coin.pk).update(image_url=image)
    if not fresh:
        return None
    missing = [coin.id for coin in coins if coin.id not in fresh]
    last = _last_real_rows(missing) if missing else {}
    if missing:
        logger.warning(
            "CoinGecko returned no price for %s; kept the last one for %s",
            ", ".join(missing),
            ", ".join(last) or "none",
        )
    rows: list[BoardRow] = [
        fresh[coin.id] if coin.id in fresh else {**last[coin.id], "source": PriceSource.STALE.value}
        for coin in coins
        if coin.id in fresh or coin.id in last
    ]
    PriceTick.objects.bulk_create(ticks)
    return board_make(rows, PriceSource.COINGECKO, now, sparks)


def _price(value: Any) -> str | None:
    """A price as the board holds it; zero or less is no price (nothing trades at 0)."""
    price = number(value)
    return number_text(price) if price is not None and price > 0 else None


def _change_pct(value: Any) -> str | None:
    change = number(value)
    if change is None or abs(change) >= CHANGE_PCT_LIMIT:
        return None
    return f"{change:.4f}"


def _sparkline(value: Any) -> list[float]:
    """The last 168 hourly points of ``sparkline_in_7d`` (drawn only, so floats)."""
    points = value.get("price") if isinstance(value, dict) else None
    if not isinstance(points, list):
        return []
    numbers = (number(point) for point in points[-168:])
    return [float(point) for point in numbers if point is not None]


def _last_real_rows(coin_ids: list[str]) -> dict[str, BoardRow]:
    """The last real row of each coin, from the last good board, else from stored ticks."""
    last: Board | None = cache.get(BOARD_LAST_GOOD_KEY)
    rows = {row["id"]: row for row in (last["coins"] if last else []) if row["id"] in coin_ids}
    if len(rows) < len(coin_ids):
        stored = board_from_ticks(only_real=True, coin_ids=[c for c in coin_ids if c not in rows])
        rows.update({row["id"]: row for row in (stored["coins"] if stored else [])})
    return rows


def board_from_ticks(*, only_real: bool, coin_ids: list[str] | None = None) -> Board | None:
    """The board from each coin's newest stored tick (CoinGecko's only, with
    ``only_real``), or None when no coin has one."""
    rows = []
    coins = Coin.objects.filter(is_tracked=True)
    if coin_ids is not None:
        coins = coins.filter(pk__in=coin_ids)
    for coin in coins:
        ticks = PriceTick.objects.filter(coin=coin)
        if only_real:
            ticks = ticks.filter(source=PriceSource.COINGECKO)
        tick = ticks.order_by("-at").first()
        if tick is not None:
            rows.append(row_from_tick(coin, tick))
    if not rows:
        return None
    return board_make(rows, rows[0]["source"], timezone.now())
