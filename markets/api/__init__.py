"""Markets API, by resource: ``prices`` (the public board, details and history) and
``watchlist`` (each user's watched coins)."""

from markets.api.prices import (
    CoinDetailSerializer,
    CoinPriceSerializer,
    CryptoDetailApi,
    CryptoHistoryApi,
    CryptoListApi,
    history_days,
)
from markets.api.watchlist import WatchlistApi, WatchlistCoinApi

__all__ = [
    "CoinDetailSerializer",
    "CoinPriceSerializer",
    "CryptoDetailApi",
    "CryptoHistoryApi",
    "CryptoListApi",
    "WatchlistApi",
    "WatchlistCoinApi",
    "history_days",
]
