from django.urls import path

from cryptovault.views import FeaturePreviewView

app_name = "chains"

urlpatterns = [
    path(
        "",
        FeaturePreviewView.as_view(
            title="Wallet",
            summary="Connect MetaMask, link your address with Sign-In with Ethereum, see "
            "balances and gas on several EVM chains, and sign transactions.",
        ),
        name="wallet",
    ),
]
