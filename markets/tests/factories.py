"""Price ticks for every app's tests (see accounts/tests/factories.py for the layout).

The coins themselves are not made here: the seed migration (0002_seed_coins) puts the
ten tracked coins in every test database, and a tick names one of them by id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from markets.models import Coin, PriceSource, PriceTick


class PriceTickFactory(DjangoModelFactory[PriceTick]):
    """A CoinGecko price of a seeded coin, observed now: bitcoin at 50,000 unless told
    (``coin_id="dogecoin", price=Decimal("0.18")``, ``at=...`` for an older one)."""

    class Meta:
        model = PriceTick

    class Params:
        coin_id = "bitcoin"

    coin = factory.LazyAttribute(lambda tick: Coin.objects.get(pk=tick.coin_id))
    price = Decimal("50000")
    source = PriceSource.COINGECKO
    at = factory.LazyFunction(lambda: datetime.now(UTC))
