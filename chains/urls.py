from django.urls import path

from chains import views

app_name = "chains"

urlpatterns = [
    path("", views.WalletView.as_view(), name="wallet"),
    path("login/", views.WalletLoginView.as_view(), name="login"),
]
