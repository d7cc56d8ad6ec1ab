"""The hourly periodic job that prunes old ticks (markets.tasks), and the feed's share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from cryptovault.celery import app as celery_app
from markets.feed import PRUNE_KEY, PriceFeed
from markets.models import Coin, PriceTick
from markets.tasks import ticks_prune_old
from markets.tests.factories import PriceTickFactory

pytestmark = pytest.mark.django_db


def old_and_recent_ticks() -> None:
    coin = Coin.objects.get(pk="bitcoin")
    now = datetime.now(UTC)
    PriceTickFactory.create(coin=coin, price=1, source="simulated", at=now - timedelta(days=31))
    PriceTickFactory.create(coin=coin, price=2, source="simulated", at=now - timedelta(hours=1))


def test_the_periodic_job_prunes_the_ticks_past_the_retention():
    old_and_recent_ticks()

    # As the worker runs it when beat sends "markets.tasks.ticks_prune_old".
    celery_app.tasks["markets.tasks.ticks_prune_old"].apply()

    assert list(PriceTick.objects.values_list("price", flat=True)) == [Decimal("2")]


def test_while_the_worker_prunes_the_feed_leader_does_not(monkeypatch):
    pruned: list[datetime] = []
    monkeypatch.setattr("markets.feed.ticks_prune", lambda now: pruned.append(now))
    monkeypatch.setattr("markets.feed.listeners_present", lambda: True)
    monkeypatch.setattr(PriceFeed, "broadcast", lambda self, board, at: None)

    assert ticks_prune_old() == 0
    assert cache.get(PRUNE_KEY)
    PriceFeed(owner="test").step()
    assert pruned == []

    cache.delete(PRUNE_KEY)  # no worker (the embedded default): the feed prunes, as before
    PriceFeed(owner="test").step()
    assert len(pruned) == 1
