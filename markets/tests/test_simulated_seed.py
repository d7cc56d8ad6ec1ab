"""The simulated feed cannot be predicted from the code (issue 11, finding 9).

Its walk was seeded by the coin and the minute alone, so anyone could compute the
next tick and trade ahead of it. Now the seed includes a deployment secret.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches

from markets.board import prices_board
from markets.models import PriceTick
from markets.tests.conftest import price_usd
from markets.tests.factories import PriceTickFactory
from tests.processes import child_env, run_python

pytestmark = pytest.mark.django_db


def next_simulated_price(seed: str, settings) -> Decimal:
    """The simulated bitcoin price one step after a known real price, under ``seed``."""
    settings.SIMULATED_FEED_SEED = seed
    PriceTick.objects.all().delete()
    for cache in caches.all():
        cache.clear()
    PriceTickFactory.create(
        coin_id="bitcoin", price=Decimal("50000"), at=datetime.now(UTC) - timedelta(hours=1)
    )
    row = next(c for c in prices_board()["coins"] if c["id"] == "bitcoin")
    return price_usd(row)


def test_the_walk_depends_on_the_deployment_seed(settings):
    # Given: the same last price, the same step of the walk
    # When: two deployments with different secrets take the step
    first = next_simulated_price("deployment-one", settings)
    other = next_simulated_price("deployment-two", settings)

    # Then: they walk differently, and each is repeatable under its own seed
    assert first != other
    assert next_simulated_price("deployment-one", settings) == first


def test_the_seed_comes_from_the_secret_key_not_the_code():
    code = "from django.conf import settings; print(settings.SIMULATED_FEED_SEED)"
    seeds = {
        run_python(code, env=child_env(SECRET_KEY=key)).stdout.strip()
        for key in ("s" * 60, "t" * 60)
    }

    assert len(seeds) == 2
    assert all(len(seed) == 64 and "s" * 10 not in seed for seed in seeds)
