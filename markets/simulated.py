"""The simulated source: a seeded random walk that keeps the product usable offline.

Used with ``PRICE_SOURCE=simulated``, and with ``auto`` when CoinGecko fails and no
real price is left to serve as stale. Every row it makes is labelled ``simulated``.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import Context, Decimal

from django.conf import settings

from cryptovault.money import cents
from markets.board_row import BoardRow, board_row, number_text, tick_from_row
from markets.models import Coin, PriceSource, PriceTick

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
# Ten significant digits, as precise as CoinGecko quotes a price: a bitcoin walks in
# cents and fractions of one, a tiny coin keeps its own digits.
SIMULATED_DIGITS = Context(prec=10)
DAY = timedelta(hours=24)
# The walk's step when it is carried into the past (its volatility is per 5 minutes).
PAST_STEP = timedelta(minutes=5)


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


def simulated_step(
    coins: list[Coin], now: datetime
) -> tuple[list[BoardRow], dict[str, list[float]]]:
    """One step of the walk from each coin's last tick (or reference price), stored as
    ticks: the rows, and each coin's 7-day sparkline."""
    step = int(now.timestamp() // settings.PRICE_REFRESH_SECONDS)
    rows, ticks, sparks = [], [], {}
    for coin in coins:
        last = PriceTick.objects.filter(coin=coin).order_by("-at").first()
        start = last.price if last else Decimal(REFERENCE_PRICES.get(coin.id, "1"))
        if last is not None and last.source == PriceSource.SIMULATED and last.at >= now:
            price = last.price  # this step is already taken
        else:
            move = _rng(coin.id, step).gauss(0, _volatility(coin.id))
            walked = SIMULATED_DIGITS.multiply(start, Decimal(str(math.exp(move))))
            price = walked.quantize(settings.PRICE_QUANTUM)
        history = simulated_series(coin.id, 7, float(price), now)
        reference = Decimal(REFERENCE_PRICES.get(coin.id, "1"))
        supply = Decimal(1_000_000_000) if reference < 10 else Decimal(20_000_000)
        row = board_row(
            coin,
            price_usd=number_text(price),
            change_24h_pct=_change_24h_pct(coin, price, now),
            market_cap=number_text(cents(price * supply)),
            volume_24h=number_text(cents(price * supply / 25)),
            last_updated=now.isoformat(),
            source=PriceSource.SIMULATED.value,
        )
        rows.append(row)
        sparks[coin.id] = [point[1] for point in history[-168:]]
        ticks.append(tick_from_row(coin, row, source=PriceSource.SIMULATED, at=now))
    PriceTick.objects.bulk_create(ticks)
    return rows, sparks


def _change_24h_pct(coin: Coin, price: Decimal, now: datetime) -> str:
    """The change of ``price`` against the coin's price 24 h before ``now``, in percent
    to four places: it moves with every step of the walk.

    (It used to be read off a series walked backwards from the current price, so the
    price a day ago moved with the price and the change stood still all day.)"""
    day_ago = _price_day_ago(coin, price, now)
    if day_ago <= 0:
        return "0.0000"
    return f"{(price - day_ago) / day_ago * 100:.4f}"


def _price_day_ago(coin: Coin, price: Decimal, now: datetime) -> Decimal:
    """The coin's price at ``now - 24 h``: the last tick stored by then, the history of
    record. A feed younger than a day has none, so the walk is carried back from its
    first tick (or from ``price``, the first step) over the time it is missing, along a
    path seeded by that first moment: the day-ago price then follows one fixed past,
    and reaches the first tick's own price once a day of ticks is stored."""
    then = now - DAY
    before = PriceTick.objects.filter(coin=coin, at__lte=then).order_by("-at").first()
    if before is not None:
        return before.price
    first = PriceTick.objects.filter(coin=coin).order_by("at").first()
    anchor, anchor_at = (price, now) if first is None else (first.price, first.at)
    steps = int((anchor_at - then) / PAST_STEP)
    rng = _rng(coin.id, "day-ago", anchor_at.isoformat())
    move = sum(rng.gauss(0, _volatility(coin.id)) for _ in range(steps))
    return SIMULATED_DIGITS.multiply(anchor, Decimal(str(math.exp(move))))


def _granularity(days: int) -> timedelta:
    if days <= 1:
        return timedelta(minutes=5)
    if days <= 90:
        return timedelta(hours=1)
    return timedelta(days=1)


def simulated_series(coin_id: str, days: int, end_price: float, now: datetime) -> list[list[float]]:
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
