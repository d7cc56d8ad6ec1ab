"""The simulated 24 h change moves with the price (issue 14: it stood still for a day).

It was read off a series walked backwards from the current price, so the price "a day
ago" moved with the price and the change never did. It is now the change against the
price 24 h before: the last tick stored by then, else a fixed seeded past.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from markets.board import prices_board
from markets.models import PriceSource
from markets.selectors import coins_tracked
from markets.simulated import simulated_step
from markets.tests.conftest import price_usd
from markets.tests.factories import PriceTickFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def changes(rows) -> dict[str, str]:
    return {row["id"]: row["change_24h_pct"] for row in rows}


def test_two_steps_of_the_walk_give_two_different_changes(settings):
    # Given: a fresh simulated feed (no tick stored yet)
    coins = coins_tracked()
    step = timedelta(seconds=settings.PRICE_REFRESH_SECONDS)

    # When: it takes two steps
    first, _ = simulated_step(coins, NOW)
    second, _ = simulated_step(coins, NOW + step)

    # Then: every coin whose price moved shows another change
    moved = [
        new["id"]
        for old, new in zip(first, second, strict=True)
        if old["price_usd"] != new["price_usd"]
    ]
    assert len(moved) >= 8
    for coin_id in moved:
        assert changes(first)[coin_id] != changes(second)[coin_id], coin_id


@pytest.mark.parametrize("seed", ["first deployment", "second deployment", "third"])
def test_over_ten_minutes_the_change_keeps_moving(settings, seed):
    # The walk is seeded per deployment; whatever the seed, every step moves the change.
    # (Distinct from the step before, not from all nine others: a walk may come back to
    # a change it showed minutes ago, about once in a hundred deployments.)
    settings.PRICE_REFRESH_SECONDS = 60
    settings.SIMULATED_FEED_SEED = seed
    coins = [coin for coin in coins_tracked() if coin.id == "bitcoin"]

    seen = [
        simulated_step(coins, NOW + timedelta(minutes=minute))[0][0]["change_24h_pct"]
        for minute in range(10)
    ]

    assert all(before != after for before, after in pairwise(seen)), seen


def test_the_change_is_against_the_last_price_stored_24_hours_before():
    # Given: bitcoin at 40,000 a day and a minute ago, 52,000 an hour ago
    PriceTickFactory.create(price=Decimal("40000"), at=NOW - timedelta(hours=24, minutes=1))
    PriceTickFactory.create(price=Decimal("52000"), at=NOW - timedelta(hours=1))

    # When: the walk takes a step from 52,000
    rows, _ = simulated_step([c for c in coins_tracked() if c.id == "bitcoin"], NOW)

    # Then: the change is the new price against 40,000, to four places
    price = price_usd(rows[0])
    expected = (price - Decimal("40000")) / Decimal("40000") * 100
    assert rows[0]["change_24h_pct"] == f"{expected:.4f}"
    assert rows[0]["source"] == PriceSource.SIMULATED


def test_a_young_feed_reaches_its_first_price_once_a_day_old():
    # Given: the feed's first tick, 23 h 59 min ago, and a step now (no tick a day old)
    bitcoin = [c for c in coins_tracked() if c.id == "bitcoin"]
    PriceTickFactory.create(
        price=Decimal("50000"),
        source=PriceSource.SIMULATED,
        at=NOW - timedelta(hours=23, minutes=59),
    )
    young, _ = simulated_step(bitcoin, NOW)

    # When: two minutes later that first tick is more than a day old
    older, _ = simulated_step(bitcoin, NOW + timedelta(minutes=2))

    # Then: the change is against it, and before that it was against a nearby past
    price = price_usd(older[0])
    assert older[0]["change_24h_pct"] == f"{(price - 50000) / 50000 * 100:.4f}"
    assert abs(Decimal(young[0]["change_24h_pct"] or "NaN")) < 5


def test_the_board_and_the_socket_rows_carry_the_moving_change(settings):
    # The board (what /api/crypto and /ws/prices send) is the walk's rows.
    first = changes(prices_board(now=NOW)["coins"])
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    second = changes(
        prices_board(now=NOW + timedelta(seconds=settings.PRICE_REFRESH_SECONDS))["coins"]
    )

    assert first["bitcoin"] != second["bitcoin"]
