"""Chains API routes (under /api/)."""

from django.urls import URLPattern, URLResolver, path

from chains import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("chains", api.ChainsApi.as_view(), name="api-chains"),
    path("chains/<int:chain_id>/gas", api.GasApi.as_view(), name="api-chain-gas"),
    path("chains/<int:chain_id>/estimate", api.EstimateApi.as_view(), name="api-chain-estimate"),
    path("wallets/nonce", api.NonceApi.as_view(), name="api-wallets-nonce"),
    path("wallets/login", api.WalletLoginApi.as_view(), name="api-wallets-login"),
    path("wallets", api.WalletsApi.as_view(), name="api-wallets"),
    path(
        "wallets/transactions", api.WalletTransactionsApi.as_view(), name="api-wallet-transactions"
    ),
    path("wallets/<str:address>", api.WalletApi.as_view(), name="api-wallet"),
    path(
        "wallets/<str:address>/balances",
        api.WalletBalancesApi.as_view(),
        name="api-wallet-balances",
    ),
]
