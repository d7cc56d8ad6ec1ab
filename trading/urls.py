from django.urls import path

from cryptovault.views import FeaturePreviewView

app_name = "trading"

urlpatterns = [
    path(
        "trade/orders/",
        FeaturePreviewView.as_view(
            title="Trade",
            summary="Market, limit and stop orders with simulated dollars at real prices; "
            "open orders, history and every transaction.",
        ),
        name="orders",
    ),
    path(
        "portfolio/",
        FeaturePreviewView.as_view(
            title="Portfolio",
            summary="Cash, holdings, average cost, realized and unrealized profit and loss, "
            "allocation and value over time.",
        ),
        name="portfolio",
    ),
]
