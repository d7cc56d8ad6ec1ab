from django.urls import path

from cryptovault.views import FeaturePreviewView

app_name = "markets"

urlpatterns = [
    path(
        "",
        FeaturePreviewView.as_view(
            title="Markets",
            summary="Live prices of the ten major coins, with 24-hour change, market cap, "
            "volume and charts, updated without reloading the page.",
        ),
        name="list",
    ),
]
