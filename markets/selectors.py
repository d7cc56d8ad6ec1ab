"""Reads of market data used across apps."""

from __future__ import annotations

from markets.models import Coin, PriceTick


def coin_price_latest(*, coin_id: str) -> PriceTick | None:
    """The newest stored price tick of a coin, or None when it has never been priced."""
    return PriceTick.objects.filter(coin_id=coin_id).order_by("-at").first()


def coins_tracked() -> list[Coin]:
    return list(Coin.objects.filter(is_tracked=True))
