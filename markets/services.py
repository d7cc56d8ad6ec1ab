"""Writes of market data: the price to trade at (refreshed through the board, which may
call CoinGecko and store ticks) and the pruning of old ticks.

Price freshness is defined here once: a tick older than ``PRICE_REFRESH_SECONDS`` is
refreshed first, and one still older than :func:`price_stale_after_seconds` is no
price to trade at.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from markets.board import prices_board
from markets.models import PriceTick
from markets.selectors import coin_price_latest

TICK_RETENTION = timedelta(days=30)


def price_stale_after_seconds() -> int:
    """The age past which a price is no price to trade at (named in trading's error)."""
    # Twice the refresh period: a price is refreshed once it is one period old, and a
    # board refreshed late, or a quote CoinGecko timed a little before our refresh, is
    # still current; past two periods the upstream is failing and the price is stale.
    return 2 * settings.PRICE_REFRESH_SECONDS


def _age_seconds(tick: PriceTick) -> float:
    return (timezone.now() - tick.at).total_seconds()


def coin_price_fresh(*, coin_id: str) -> PriceTick | None:
    """The newest tick of a coin, refreshed through the board first when older than
    ``PRICE_REFRESH_SECONDS``; None when still older than the stale limit or not positive."""
    # No transaction around this: the refresh may wait on CoinGecko, and the ticks it
    # stores are the history of record whatever the caller does next.
    tick = coin_price_latest(coin_id=coin_id)
    if tick is None or _age_seconds(tick) > settings.PRICE_REFRESH_SECONDS:
        prices_board()
        tick = coin_price_latest(coin_id=coin_id)
    if tick is None or _age_seconds(tick) > price_stale_after_seconds() or tick.price <= 0:
        return None
    return tick


@transaction.atomic
def ticks_prune(*, now: datetime | None = None) -> int:
    """Delete the ticks older than ``TICK_RETENTION``; how many went."""
    now = timezone.now() if now is None else now
    deleted, _ = PriceTick.objects.filter(at__lt=now - TICK_RETENTION).delete()
    return deleted
