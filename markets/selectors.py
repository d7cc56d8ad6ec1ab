"""Reads of market data used across apps."""

from __future__ import annotations

from markets.models import Coin, PriceTick


def coin_price_latest(*, coin_id: str) -> PriceTick | None:
    """The newest stored price tick of a coin, or None when it has never been priced."""
    return PriceTick.objects.filter(coin_id=coin_id).order_by("-at").first()


def coin_price_current(*, coin_id: str) -> PriceTick | None:
    """The price to trade at: the newest tick, refreshed through the price service first
    when it is older than ``PRICE_REFRESH_SECONDS``. Callers judge its age themselves."""
    from django.conf import settings
    from django.utils import timezone

    from markets import prices

    tick = coin_price_latest(coin_id=coin_id)
    if tick is None or (timezone.now() - tick.at).total_seconds() > settings.PRICE_REFRESH_SECONDS:
        prices.prices_board()
        tick = coin_price_latest(coin_id=coin_id)
    return tick


def coins_tracked() -> list[Coin]:
    return list(Coin.objects.filter(is_tracked=True))
