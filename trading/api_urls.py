"""Trading API routes (under /api/)."""

from django.urls import URLPattern, URLResolver, path

from trading import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("balances", api.BalancesApi.as_view(), name="api-balances"),
    path("account/reset", api.AccountResetApi.as_view(), name="api-account-reset"),
    path("orders", api.OrdersApi.as_view(), name="api-orders"),
    path("orders/quote", api.OrderQuoteApi.as_view(), name="api-order-quote"),
    path("orders/<int:order_id>", api.OrderApi.as_view(), name="api-order"),
    path("orders/<int:order_id>/cancel", api.OrderCancelApi.as_view(), name="api-order-cancel"),
    path("portfolio", api.PortfolioApi.as_view(), name="api-portfolio"),
    path("portfolio/history", api.PortfolioHistoryApi.as_view(), name="api-portfolio-history"),
    path("transactions", api.TransactionsApi.as_view(), name="api-transactions"),
    path(
        "transactions/export.csv",
        api.TransactionsExportApi.as_view(),
        name="api-transactions-export",
    ),
    path("trades/export.csv", api.TradesExportApi.as_view(), name="api-trades-export"),
]
