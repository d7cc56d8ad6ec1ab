from django.urls import path

from markets import views

app_name = "markets"

urlpatterns = [
    path("", views.MarketListView.as_view(), name="list"),
    path("<str:coin_id>/", views.CoinDetailView.as_view(), name="detail"),
]
