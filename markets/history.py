"""One coin's page data: its details (description, supply, ATH, links) and its price
history (chart points and OHLC candles for a range of days).

Both are served from the cache and refreshed by one caller at a time
(:mod:`markets.single_flight`); when CoinGecko fails the last good answer is served
as ``stale``, and a history with nothing to fall back on is the simulated walk
(unless ``PRICE_SOURCE=coingecko``). A ``null`` point in a chart is skipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.core.cache import cache

from markets import budget, coingecko
from markets.board import prices_board
from markets.board_row import Board, BoardRow, board_row, number_text
from markets.coingecko import CoinGeckoError, number
from markets.models import Coin, PriceSource
from markets.selectors import coin_tracked
from markets.simulated import simulated_series
from markets.single_flight import single_flight

logger = logging.getLogger(__name__)

HISTORY_DAYS = (1, 7, 14, 30, 90, 180, 365)


class Details(TypedDict):
    """What a coin's page adds to its board row (SPEC §7 ``GET /api/crypto/{id}``)."""

    description: str
    circulating_supply: str | None
    total_supply: str | None
    max_supply: str | None
    ath: str | None
    ath_date: str | None
    links: dict[str, str | None]


class CoinDetail(BoardRow, Details):
    """A coin's board row and its details."""


EMPTY_DETAIL: Details = {
    "description": "",
    "circulating_supply": None,
    "total_supply": None,
    "max_supply": None,
    "ath": None,
    "ath_date": None,
    "links": {},
}


def _upstream_allowed() -> bool:
    return settings.PRICE_SOURCE != "simulated" and budget.credits_available()


def coin_row(coin: Coin, board: Board | None = None) -> BoardRow:
    """The coin's row on the board; its names alone when the board has no price for it."""
    board = prices_board() if board is None else board
    for row in board["coins"]:
        if row["id"] == coin.id:
            return {**row}
    return board_row(coin, source=board["source"])


# --- details --------------------------------------------------------------------------


def coin_detail(*, coin_id: str) -> CoinDetail:
    """The coin's board row with its details (``GET /api/crypto/{id}``); 404 when the
    coin is not tracked."""
    coin = coin_tracked(coin_id=coin_id)
    key = f"markets:detail:{coin.id}"
    detail = single_flight(
        key,
        lambda: _detail_refresh(coin),
        timeout=settings.COIN_DETAIL_CACHE_SECONDS,
        fallback=lambda: _detail_fallback(coin),
    )
    return {**coin_row(coin), **detail}


def _detail_refresh(coin: Coin) -> Details:
    if not _upstream_allowed():
        return _detail_fallback(coin)
    try:
        data = coingecko.client().coin(coin.id)
    except CoinGeckoError as error:
        logger.warning("Details of %s not refreshed: %s", coin.id, error)
        return _detail_fallback(coin)
    market = data.get("market_data") or {}
    links = data.get("links") or {}
    repos = (links.get("repos_url") or {}).get("github") or []
    detail: Details = {
        "description": str((data.get("description") or {}).get("en") or ""),
        "circulating_supply": number_text(market.get("circulating_supply")),
        "total_supply": number_text(market.get("total_supply")),
        "max_supply": number_text(market.get("max_supply")),
        "ath": number_text((market.get("ath") or {}).get("usd")),
        "ath_date": (market.get("ath_date") or {}).get("usd"),
        "links": {
            "homepage": next((u for u in links.get("homepage") or [] if u), None),
            "whitepaper": links.get("whitepaper") or None,
            "explorer": next((u for u in links.get("blockchain_site") or [] if u), None),
            "subreddit": links.get("subreddit_url") or None,
            "github": next((u for u in repos if u), None),
        },
    }
    cache.set(f"markets:detail:{coin.id}:last-good", detail, None)
    return detail


def _detail_fallback(coin: Coin) -> Details:
    return cache.get(f"markets:detail:{coin.id}:last-good") or EMPTY_DETAIL.copy()


# --- history --------------------------------------------------------------------------


def coin_history(*, coin_id: str, days: int) -> dict[str, Any]:
    """Chart points and candles of the coin over ``days`` (one of ``HISTORY_DAYS``);
    404 when the coin is not tracked."""
    coin = coin_tracked(coin_id=coin_id)
    key = f"markets:history:{coin.id}:{days}"
    timeout = 300 if days == 1 else 3600
    history = single_flight(
        key,
        lambda: _history_refresh(coin, days),
        timeout=timeout,
        fallback=lambda: _history_fallback(coin, days),
    )
    return {"coin": coin.id, "days": days, **history}


def _history_refresh(coin: Coin, days: int) -> dict[str, Any]:
    """One upstream call per key and period: the chart's points, and candles built from
    them (CoinGecko's ``/ohlc`` would cost a second credit for the same prices)."""
    if not _upstream_allowed():
        return _history_fallback(coin, days)
    try:
        chart = coingecko.client().market_chart(coin.id, days)
    except CoinGeckoError as error:
        logger.warning("History of %s (%s days) not refreshed: %s", coin.id, days, error)
        return _history_fallback(coin, days)
    points = chart_points(chart["prices"])
    skipped = len(chart["prices"]) - len(points)
    if skipped:
        logger.warning(
            "History of %s (%s days): %d unusable points skipped", coin.id, days, skipped
        )
    if not points:
        return _history_fallback(coin, days)
    history = {
        "prices": points,
        "candles": candles_from_points(points, days),
        "source": PriceSource.COINGECKO.value,
    }
    cache.set(f"markets:history:{coin.id}:{days}:last-good", history, None)
    return history


def _history_fallback(coin: Coin, days: int) -> dict[str, Any]:
    last = cache.get(f"markets:history:{coin.id}:{days}:last-good")
    if last is not None:
        return {**last, "source": PriceSource.STALE.value}
    row = coin_row(coin)
    if settings.PRICE_SOURCE == "coingecko" or row["price_usd"] is None:
        return {"prices": [], "candles": [], "source": PriceSource.STALE.value}
    now = datetime.now(UTC)
    points = simulated_series(coin.id, days, float(row["price_usd"]), now)
    return {
        "prices": points,
        "candles": candles_from_points(points, days),
        "source": PriceSource.SIMULATED.value,
    }


def chart_points(raw: list[Any]) -> list[list[Any]]:
    """``[[ms, Decimal price], ...]`` from a chart's ``prices``, in time order.

    CoinGecko sends ``null`` prices now and then; those points, and any without a
    whole-millisecond time or a positive price, are skipped rather than failing."""
    timed: list[tuple[int, Decimal]] = []
    for point in raw:
        if not isinstance(point, list) or len(point) < 2:
            continue
        ms, price = number(point[0]), number(point[1])
        if ms is None or ms < 0 or ms != ms.to_integral_value() or price is None or price <= 0:
            continue
        timed.append((int(ms), price))
    timed.sort(key=lambda point: point[0])
    return [[ms, price] for ms, price in timed]


def _candle_size(days: int) -> timedelta:
    if days <= 2:
        return timedelta(minutes=30)
    if days <= 30:
        return timedelta(hours=4)
    return timedelta(days=4)


def candles_from_points(points: list[list[Any]], days: int) -> list[dict[str, Any]]:
    """Group ``[ms, price]`` points into OHLC candles (timestamp = candle close, seconds),
    sized as CoinGecko sizes its own candles for the range."""
    size_ms = int(_candle_size(days).total_seconds() * 1000)
    candles: dict[int, dict[str, Any]] = {}
    for ms, price in points:
        bucket = int(ms // size_ms * size_ms + size_ms)
        candle = candles.get(bucket)
        if candle is None:
            candles[bucket] = {
                "time": bucket // 1000,
                "open": price,
                "high": price,
                "low": price,
                "close": price,
            }
        else:
            candle["high"] = max(candle["high"], price)
            candle["low"] = min(candle["low"], price)
            candle["close"] = price
    return list(candles.values())
