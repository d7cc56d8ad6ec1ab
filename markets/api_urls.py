"""Markets API routes (under /api/)."""

from django.urls import URLPattern, URLResolver, path

from markets import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("crypto", api.CryptoListApi.as_view(), name="api-crypto"),
    path("crypto/<str:coin_id>", api.CryptoDetailApi.as_view(), name="api-crypto-detail"),
    path(
        "crypto/<str:coin_id>/history",
        api.CryptoHistoryApi.as_view(),
        name="api-crypto-history",
    ),
    path("watchlist", api.WatchlistApi.as_view(), name="api-watchlist"),
    path("watchlist/<str:coin_id>", api.WatchlistCoinApi.as_view(), name="api-watchlist-coin"),
]
