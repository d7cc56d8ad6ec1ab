"""Chains API routes (under /api/)."""

from django.urls import URLPattern, URLResolver, path

from chains.api import chains, transactions, wallets

urlpatterns: list[URLPattern | URLResolver] = [
    path("chains", chains.ChainsApi.as_view(), name="api-chains"),
    path("chains/<int:chain_id>/gas", chains.GasApi.as_view(), name="api-chain-gas"),
    path("chains/<int:chain_id>/estimate", chains.EstimateApi.as_view(), name="api-chain-estimate"),
    path("wallets/nonce", wallets.NonceApi.as_view(), name="api-wallets-nonce"),
    path("wallets/login", wallets.WalletLoginApi.as_view(), name="api-wallets-login"),
    path("wallets", wallets.WalletsApi.as_view(), name="api-wallets"),
    path(
        "wallets/transactions",
        transactions.WalletTransactionsApi.as_view(),
        name="api-wallet-transactions",
    ),
    path("wallets/<str:address>", wallets.WalletApi.as_view(), name="api-wallet"),
    path(
        "wallets/<str:address>/balances",
        wallets.WalletBalancesApi.as_view(),
        name="api-wallet-balances",
    ),
]
