from django.urls import path

from trading import views

app_name = "trading"

urlpatterns = [
    path("trade/", views.TradeView.as_view(), name="trade"),
    path("trade/orders/", views.OrdersView.as_view(), name="orders"),
    path("trade/orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path(
        "trade/orders/<int:order_id>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"
    ),
    path("trade/trades/", views.TradesView.as_view(), name="trades"),
    path("trade/transactions/", views.TransactionsView.as_view(), name="transactions"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
]
