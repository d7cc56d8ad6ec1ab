"""Reads of market data used across apps: what is stored, never a call upstream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptovault.errors import DomainError
from markets.models import Coin, PriceTick, WatchlistEntry

if TYPE_CHECKING:
    from accounts.models import User  # the AUTH_USER_MODEL, for the type only


class CoinNotFound(DomainError):
    """No tracked coin has this id (a 404)."""

    def __init__(self, coin_id: str) -> None:
        super().__init__("not_found", f"No tracked coin has the id {coin_id!r}.", status_code=404)


def coin_price_latest(*, coin_id: str) -> PriceTick | None:
    """The newest stored price tick of a coin, or None when it has never been priced."""
    return PriceTick.objects.filter(coin_id=coin_id).order_by("-at").first()


def coin_tracked(*, coin_id: str) -> Coin:
    """The tracked coin with this id, or :class:`CoinNotFound`."""
    coin = Coin.objects.filter(pk=coin_id, is_tracked=True).first()
    if coin is None:
        raise CoinNotFound(coin_id)
    return coin


def coins_tracked() -> list[Coin]:
    """Every tracked coin."""
    return list(Coin.objects.filter(is_tracked=True))


def watchlist_coin_ids(*, user: User) -> list[str]:
    """The ids of the tracked coins ``user`` watches, in the order added."""
    return list(
        WatchlistEntry.objects.filter(user=user, coin__is_tracked=True).values_list(
            "coin_id", flat=True
        )
    )


def watchlist_coins(*, user: User) -> list[Coin]:
    """The tracked coins ``user`` watches, in the order added (names for a page)."""
    entries = WatchlistEntry.objects.filter(user=user, coin__is_tracked=True).select_related("coin")
    return [entry.coin for entry in entries]
