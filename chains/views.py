from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from chains import selectors
from chains.registry import CHAINS
from cryptovault.redirects import safe_next_url


class WalletLoginView(TemplateView):
    template_name = "chains/wallet_login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Empty when there is no safe one: the page's script then goes to its own default.
        next_url = safe_next_url(self.request, default="")
        return {**super().get_context_data(**kwargs), "next": next_url}


class WalletView(LoginRequiredMixin, TemplateView):
    template_name = "chains/wallet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "chains": CHAINS.values(),
            "wallets": selectors.wallet_list(user=self.request.user),  # type: ignore[arg-type]
        }
