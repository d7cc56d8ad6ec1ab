"""Writes of market data: the price to trade at (refreshed through the board, which may
call CoinGecko and store ticks), the pruning of old ticks, and each user's watchlist.

Price freshness is defined here once: a tick older than ``PRICE_REFRESH_SECONDS`` is
refreshed first, and one still older than :func:`price_stale_after_seconds` is no
price to trade at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cryptovault.errors import DomainError
from cryptovault.limits import limit_check
from markets.board import prices_board
from markets.models import Coin, PriceTick, WatchlistEntry
from markets.selectors import coin_price_latest, coin_tracked

if TYPE_CHECKING:
    from accounts.models import User  # the AUTH_USER_MODEL, for the type only

TICK_RETENTION = timedelta(days=30)
# A watchlist changes at a person's pace: a star a second is already a lot.
WATCHLIST_RATE = "60/m"


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


def _watchlist_limit(user: User) -> None:
    limit_check(group="watchlist", key=f"user:{user.pk}", rate=WATCHLIST_RATE)


@transaction.atomic
def watchlist_add(*, user: User, coin_id: str) -> WatchlistEntry:
    """``user`` watches the tracked coin ``coin_id`` (once: adding it again changes
    nothing, and it keeps its place); 404 ``not_found`` for an unknown coin."""
    _watchlist_limit(user)
    coin = coin_tracked(coin_id=coin_id)
    entry, _ = WatchlistEntry.objects.get_or_create(user=user, coin=coin)
    return entry


@transaction.atomic
def watchlist_remove(*, user: User, coin_id: str) -> None:
    """``user`` no longer watches ``coin_id`` (a coin not watched is no error);
    404 ``not_found`` for an unknown coin."""
    _watchlist_limit(user)
    coin = coin_tracked(coin_id=coin_id)
    WatchlistEntry.objects.filter(user=user, coin=coin).delete()


@transaction.atomic
def watchlist_replace(*, user: User, coin_ids: Sequence[str]) -> None:
    """``user``'s watchlist becomes ``coin_ids``, in that order (a repeated id counts
    once, where it first appears); nothing changes when one id is no tracked coin
    (400 ``unknown_coin`` naming ``coins``)."""
    _watchlist_limit(user)
    wanted = list(dict.fromkeys(coin_ids))
    coins = Coin.objects.in_bulk(wanted)
    unknown = [
        coin_id for coin_id in wanted if coin_id not in coins or not coins[coin_id].is_tracked
    ]
    if unknown:
        raise DomainError(
            "unknown_coin",
            f"No tracked coin has the id {', '.join(repr(c) for c in unknown)}.",
            field="coins",
        )
    WatchlistEntry.objects.filter(user=user).delete()
    now = timezone.now()
    WatchlistEntry.objects.bulk_create(
        WatchlistEntry(user=user, coin=coins[coin_id], created_at=now) for coin_id in wanted
    )
