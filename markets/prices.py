"""The price service: cached, single-flight, budgeted, labelled with its source.

Three reads, each served from the cache and refreshed by ONE caller at a time
(across processes when the cache is Redis), the others waiting for its answer:

- :func:`prices_board` — every tracked coin in one upstream call;
- :func:`coin_detail` — one coin's description, supply, ATH and links;
- :func:`coin_history` — chart points and candles for a range of days.

When CoinGecko fails (or the credit budget is spent, or it asked us to wait) the
last good value is served with ``source: "stale"`` and its age; with
``PRICE_SOURCE=auto`` and nothing good to fall back on, a seeded random walk
(``source: "simulated"``) keeps the product usable offline. Every fresh board is
stored as price ticks, the history of record.

CoinGecko's answers are taken as they really come (``reference/coingecko.md``):
``[]`` from ``/coins/markets`` is a failed refresh, not an empty market; a coin left
out of the answer keeps its last price, labelled ``stale`` on its own row; a
``null`` point in a chart is skipped.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.utils import timezone

from cryptovault.dates import parse_moment
from cryptovault.decimals import price_text
from cryptovault.errors import DomainError
from markets import budget
from markets.coingecko import CoinGeckoClient, CoinGeckoError, number
from markets.models import Coin, PriceSource, PriceTick

logger = logging.getLogger(__name__)

HISTORY_DAYS = (1, 7, 14, 30, 90, 180, 365)
BOARD_KEY = "markets:prices"
BOARD_LAST_GOOD_KEY = "markets:prices:last-good"
REFRESH_GATE_KEY = "markets:prices:refresh-gate"
SPARKLINES_KEY = "markets:prices:sparklines"
LOCK_SECONDS = 30  # longer than a client call with its retries
WAIT_SECONDS = 15.0  # how long a caller waits for another's refresh
TICK_RETENTION = timedelta(days=30)

# Where the simulated walk starts when a coin has never been priced (USD, late 2025).
REFERENCE_PRICES = {
    "bitcoin": "95000",
    "ethereum": "3300",
    "tether": "1",
    "binancecoin": "650",
    "solana": "180",
    "ripple": "2.3",
    "usd-coin": "1",
    "cardano": "0.7",
    "dogecoin": "0.18",
    "tron": "0.25",
}
STABLECOINS = {"tether", "usd-coin"}
CHANGE_PCT_LIMIT = Decimal(10) ** 8  # change_24h_pct holds 12 digits, 4 after the point

Board = dict[str, Any]
T = TypeVar("T")


class CoinNotFound(DomainError):
    def __init__(self, coin_id: str) -> None:
        super().__init__("not_found", f"No tracked coin has the id {coin_id!r}.", status_code=404)


# --- single flight -------------------------------------------------------------


def single_flight(
    key: str, produce: Callable[[], T], *, timeout: float, fallback: Callable[[], T]
) -> T:
    """The cached value of ``key``, produced by one caller at a time on a miss.

    The winner of an atomic ``cache.add`` on the lock produces and stores the value;
    everyone else polls the cache for it and falls back after ``WAIT_SECONDS``.
    """
    value = cache.get(key)
    if value is not None:
        return value
    lock, owner = f"{key}:lock", secrets.token_hex(8)
    if cache.add(lock, owner, LOCK_SECONDS):
        try:
            value = produce()
            cache.set(key, value, timeout)
            return value
        finally:
            if cache.get(lock) == owner:
                cache.delete(lock)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        value = cache.get(key)
        if value is not None:
            return value
        if cache.get(lock) is None:
            break
    return fallback()


def client() -> CoinGeckoClient:
    return CoinGeckoClient.from_settings()


def _upstream_allowed() -> bool:
    return settings.PRICE_SOURCE != "simulated" and budget.credits_available()


# --- prices ----------------------------------------------------------------------


def prices_board(*, now: datetime | None = None) -> Board:
    """``{"coins": [...], "at": iso, "source", "cached": bool}`` for every tracked coin."""
    memo = caches["process"]
    board = memo.get(BOARD_KEY)
    if board is None:
        board = cache.get(BOARD_KEY)
        if board is not None:
            memo.set(BOARD_KEY, board)
    if board is not None:
        return {**board, "cached": True}
    board = single_flight(
        BOARD_KEY,
        lambda: _board_refresh(now),
        timeout=settings.PRICE_CACHE_SECONDS,
        fallback=lambda: _board_fallback(now),
    )
    return {**board, "cached": False}


def prices_by_coin(board: Board) -> dict[str, Decimal]:
    return {row["id"]: Decimal(row["price_usd"]) for row in board["coins"] if row["price_usd"]}


def _board_refresh(now: datetime | None) -> Board:
    now = timezone.now() if now is None else now
    coins = list(Coin.objects.filter(is_tracked=True))
    if not coins:
        return _board([], PriceSource.COINGECKO, now)
    if settings.PRICE_SOURCE == "simulated":
        return _board_simulated(coins, now)
    if not cache.add(REFRESH_GATE_KEY, 1, settings.PRICE_REFRESH_SECONDS):
        failure = "refreshed less than PRICE_REFRESH_SECONDS ago"
    elif not budget.credits_available(now):
        failure = "the monthly CoinGecko credit budget is spent for now"
    else:
        try:
            rows = client().markets(coin.id for coin in coins)
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
    last = cache.get(BOARD_LAST_GOOD_KEY)
    if last is None:
        last = _board_from_ticks(only_real=True)
    if last is not None and last["coins"]:
        rows = [{**row, "source": PriceSource.STALE.value} for row in last["coins"]]
        return {**last, "coins": rows, "source": PriceSource.STALE.value}
    coins = list(Coin.objects.filter(is_tracked=True)) if coins is None else coins
    if settings.PRICE_SOURCE in ("auto", "simulated"):
        return _board_simulated(coins, now)
    return _board([], PriceSource.STALE, now)


def _board(rows: list[dict[str, Any]], source: str, now: datetime) -> Board:
    """The board every reader shares; the 7-day sparklines (only the page draws them)
    are kept apart so that the board stays small on the wire and in the cache."""
    sparks = {row["id"]: row.pop("sparkline_7d") for row in rows if row.get("sparkline_7d")}
    for row in rows:
        row.pop("sparkline_7d", None)
    if sparks:  # a coin missing from this answer keeps its last sparkline
        cache.set(SPARKLINES_KEY, {**sparklines(), **sparks}, None)
    return {"coins": rows, "source": str(source), "at": now.isoformat()}


def sparklines() -> dict[str, list[float]]:
    """The last 7-day sparkline of each coin, by id."""
    return cache.get(SPARKLINES_KEY) or {}


def _money(value: Any) -> str | None:
    """A number from CoinGecko or a tick as the board shows it: plain notation, the
    significant digits to 18 places and at least 8 (``"64250.12000000"``,
    ``"0.000000001206"``), never ``"1.2E-9"`` and never a tiny price rounded to 0;
    None for anything that is no finite number (read by ``coingecko.number``)."""
    amount = number(value)
    return None if amount is None else price_text(amount)


def _row(coin: Coin, **fields: Any) -> dict[str, Any]:
    return {
        "id": coin.id,
        "symbol": coin.symbol,
        "name": coin.name,
        "image": coin.image_url,
        "price_usd": None,
        "change_24h_pct": None,
        "market_cap": None,
        "volume_24h": None,
        "last_updated": None,
        "source": PriceSource.COINGECKO.value,
        **fields,
    }


def _board_from_upstream(
    coins: list[Coin], rows: list[dict[str, Any]], now: datetime
) -> Board | None:
    """The board from one ``/coins/markets`` answer, or None when it priced no coin.

    A coin left out of the answer (or sent without a price) keeps its last real
    price, labelled ``stale`` on its own row with its own age; a coin never priced
    is left out. Only the coins priced now are stored as ticks."""
    by_id = {row.get("id"): row for row in rows}
    fresh: dict[str, dict[str, Any]] = {}
    ticks = []
    for coin in coins:
        row = by_id.get(coin.id)
        price = _price(row.get("current_price")) if row else None
        if row is None or price is None:
            continue
        updated = parse_moment(str(row.get("last_updated") or "")) or now
        image = row.get("image") if isinstance(row.get("image"), str) else ""
        fields = {
            "image": image or coin.image_url,
            "price_usd": price,
            "change_24h_pct": _change_pct(row.get("price_change_percentage_24h")),
            "market_cap": _money(row.get("market_cap")),
            "volume_24h": _money(row.get("total_volume")),
            "last_updated": updated.isoformat(),
            "sparkline_7d": _sparkline(row.get("sparkline_in_7d")),
        }
        fresh[coin.id] = _row(coin, **fields)
        ticks.append(_tick(coin, fields, PriceSource.COINGECKO, updated))
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
    out = [
        fresh[coin.id] if coin.id in fresh else {**last[coin.id], "source": PriceSource.STALE.value}
        for coin in coins
        if coin.id in fresh or coin.id in last
    ]
    PriceTick.objects.bulk_create(ticks)
    return _board(out, PriceSource.COINGECKO, now)


def _price(value: Any) -> str | None:
    """A price as the board holds it; zero or less is no price (nothing trades at 0)."""
    price = number(value)
    return _money(price) if price is not None and price > 0 else None


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


def _last_real_rows(coin_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The last real row of each coin, from the last good board, else from stored ticks."""
    last = cache.get(BOARD_LAST_GOOD_KEY) or {"coins": []}
    rows = {row["id"]: row for row in last["coins"] if row["id"] in coin_ids}
    if len(rows) < len(coin_ids):
        stored = _board_from_ticks(only_real=True, coin_ids=[c for c in coin_ids if c not in rows])
        rows.update({row["id"]: row for row in (stored or {"coins": []})["coins"]})
    return rows


def _tick(coin: Coin, fields: dict[str, Any], source: str, at: datetime) -> PriceTick:
    return PriceTick(
        coin=coin,
        price=Decimal(fields["price_usd"]),
        change_24h_pct=None
        if fields["change_24h_pct"] is None
        else Decimal(fields["change_24h_pct"]),
        market_cap=None
        if fields["market_cap"] is None
        else Decimal(fields["market_cap"]).quantize(Decimal("0.01")),
        volume_24h=None
        if fields["volume_24h"] is None
        else Decimal(fields["volume_24h"]).quantize(Decimal("0.01")),
        source=source,
        at=at,
    )


def _board_from_ticks(*, only_real: bool, coin_ids: list[str] | None = None) -> Board | None:
    rows = []
    coins = Coin.objects.filter(is_tracked=True)
    if coin_ids is not None:
        coins = coins.filter(pk__in=coin_ids)
    for coin in coins:
        ticks = PriceTick.objects.filter(coin=coin)
        if only_real:
            ticks = ticks.filter(source=PriceSource.COINGECKO)
        tick = ticks.order_by("-at").first()
        if tick is None:
            continue
        rows.append(
            _row(
                coin,
                price_usd=_money(tick.price),
                change_24h_pct=None if tick.change_24h_pct is None else str(tick.change_24h_pct),
                market_cap=_money(tick.market_cap),
                volume_24h=_money(tick.volume_24h),
                last_updated=tick.at.isoformat(),
                source=tick.source,
            )
        )
    if not rows:
        return None
    return _board(rows, rows[0]["source"], timezone.now())


# --- the simulated feed ------------------------------------------------------------


def _rng(*parts: object) -> random.Random:
    """The walk's generator for one coin and step, seeded from a deployment secret.

    Seeded from the coin and the step alone, the next tick was a public function of
    the clock: anyone could compute it from the code and trade ahead of it. With
    ``SIMULATED_FEED_SEED`` (derived from SECRET_KEY) it is unpredictable without
    the secret, and still repeatable when a test gives the seed.
    """
    seed = "|".join([settings.SIMULATED_FEED_SEED, *(str(p) for p in parts)])
    return random.Random(seed)  # noqa: S311 - a seeded simulation, not a secret


def _volatility(coin_id: str) -> float:
    return 0.0001 if coin_id in STABLECOINS else 0.0012


SIMULATED_DIGITS = Context(prec=10)


def _board_simulated(coins: list[Coin], now: datetime) -> Board:
    """One step of a seeded random walk from each coin's last tick (or reference price)."""
    step = int(now.timestamp() // settings.PRICE_REFRESH_SECONDS)
    rows, ticks = [], []
    for coin in coins:
        last = PriceTick.objects.filter(coin=coin).order_by("-at").first()
        start = last.price if last else Decimal(REFERENCE_PRICES.get(coin.id, "1"))
        if last is not None and last.source == PriceSource.SIMULATED and last.at >= now:
            price = last.price  # this step is already taken
        else:
            move = _rng(coin.id, step).gauss(0, _volatility(coin.id))
            # Ten significant digits, as precise as CoinGecko quotes a price: a bitcoin
            # walks in cents and fractions of one, a tiny coin keeps its own digits.
            walked = SIMULATED_DIGITS.multiply(start, Decimal(str(math.exp(move))))
            price = walked.quantize(settings.PRICE_QUANTUM)
        history = _simulated_series(coin.id, 7, float(price), now)
        day_ago = history[-1][1] if len(history) < 25 else history[-25][1]
        change = (float(price) - day_ago) / day_ago * 100 if day_ago else 0.0
        reference = Decimal(REFERENCE_PRICES.get(coin.id, "1"))
        supply = Decimal(1_000_000_000) if reference < 10 else Decimal(20_000_000)
        fields = {
            "price_usd": _money(price),
            "change_24h_pct": f"{change:.4f}",
            "market_cap": _money((price * supply).quantize(Decimal("0.01"))),
            "volume_24h": _money((price * supply / 25).quantize(Decimal("0.01"))),
            "last_updated": now.isoformat(),
            "sparkline_7d": [point[1] for point in history[-168:]],
        }
        rows.append(_row(coin, **fields, source=PriceSource.SIMULATED.value))
        ticks.append(_tick(coin, fields, PriceSource.SIMULATED, now))
    PriceTick.objects.bulk_create(ticks)
    return _board(rows, PriceSource.SIMULATED, now)


def _granularity(days: int) -> timedelta:
    if days <= 1:
        return timedelta(minutes=5)
    if days <= 90:
        return timedelta(hours=1)
    return timedelta(days=1)


def _simulated_series(
    coin_id: str, days: int, end_price: float, now: datetime
) -> list[list[float]]:
    """``[[ms, price], ...]`` ending at ``end_price``, walked backwards with a seeded RNG."""
    step = _granularity(days)
    count = int(timedelta(days=days) / step)
    rng = _rng(coin_id, days, now.date().isoformat())
    scale = _volatility(coin_id) * math.sqrt(step / timedelta(minutes=5))
    price, points = end_price, []
    for index in range(count + 1):
        at = now - step * index
        points.append([int(at.timestamp() * 1000), round(price, 8)])
        price *= math.exp(rng.gauss(0, scale))
    points.reverse()
    return points


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


# --- details and history -----------------------------------------------------------


def coin_tracked(coin_id: str) -> Coin:
    coin = Coin.objects.filter(pk=coin_id, is_tracked=True).first()
    if coin is None:
        raise CoinNotFound(coin_id)
    return coin


def coin_row(coin: Coin, board: Board | None = None) -> dict[str, Any]:
    board = prices_board() if board is None else board
    for row in board["coins"]:
        if row["id"] == coin.id:
            return dict(row)
    return _row(coin, source=board["source"])


def coin_detail(coin_id: str) -> dict[str, Any]:
    coin = coin_tracked(coin_id)
    key = f"markets:detail:{coin.id}"
    detail = single_flight(
        key,
        lambda: _detail_refresh(coin),
        timeout=settings.COIN_DETAIL_CACHE_SECONDS,
        fallback=lambda: _detail_fallback(coin),
    )
    return {**coin_row(coin), **detail}


EMPTY_DETAIL: dict[str, Any] = {
    "description": "",
    "circulating_supply": None,
    "total_supply": None,
    "max_supply": None,
    "ath": None,
    "ath_date": None,
    "links": {},
}


def _detail_refresh(coin: Coin) -> dict[str, Any]:
    if not _upstream_allowed():
        return _detail_fallback(coin)
    try:
        data = client().coin(coin.id)
    except CoinGeckoError as error:
        logger.warning("Details of %s not refreshed: %s", coin.id, error)
        return _detail_fallback(coin)
    market = data.get("market_data") or {}
    links = data.get("links") or {}
    repos = (links.get("repos_url") or {}).get("github") or []
    detail = {
        "description": str((data.get("description") or {}).get("en") or ""),
        "circulating_supply": _money(market.get("circulating_supply")),
        "total_supply": _money(market.get("total_supply")),
        "max_supply": _money(market.get("max_supply")),
        "ath": _money((market.get("ath") or {}).get("usd")),
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


def _detail_fallback(coin: Coin) -> dict[str, Any]:
    return cache.get(f"markets:detail:{coin.id}:last-good") or dict(EMPTY_DETAIL)


def history_days(value: str | None) -> int:
    """``days`` from a query string, or a 400 listing the allowed values."""
    allowed = ", ".join(str(d) for d in HISTORY_DAYS)
    try:
        days = int(value or "")
    except ValueError:
        days = 0
    if days not in HISTORY_DAYS:
        raise DomainError("invalid_days", f"days must be one of {allowed}.", field="days")
    return days


def coin_history(coin_id: str, days: int) -> dict[str, Any]:
    coin = coin_tracked(coin_id)
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
        chart = client().market_chart(coin.id, days)
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


def _history_fallback(coin: Coin, days: int) -> dict[str, Any]:
    last = cache.get(f"markets:history:{coin.id}:{days}:last-good")
    if last is not None:
        return {**last, "source": PriceSource.STALE.value}
    row = coin_row(coin)
    if settings.PRICE_SOURCE == "coingecko" or row["price_usd"] is None:
        return {"prices": [], "candles": [], "source": PriceSource.STALE.value}
    now = datetime.now(UTC)
    points = _simulated_series(coin.id, days, float(row["price_usd"]), now)
    return {
        "prices": points,
        "candles": candles_from_points(points, days),
        "source": PriceSource.SIMULATED.value,
    }


def ticks_prune(*, now: datetime | None = None) -> int:
    now = timezone.now() if now is None else now
    deleted, _ = PriceTick.objects.filter(at__lt=now - TICK_RETENTION).delete()
    return deleted


def price_age_seconds(row: dict[str, Any], now: datetime | None = None) -> float | None:
    updated = parse_moment(row.get("last_updated") or "")
    if updated is None:
        return None
    now = timezone.now() if now is None else now
    return max(0.0, round((now - updated).total_seconds(), 1))
