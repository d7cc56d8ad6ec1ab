from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from chains.models import LinkedWallet
from chains.registry import CHAINS


class WalletLoginView(TemplateView):
    template_name = "chains/wallet_login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        target = self.request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()})
        return {**super().get_context_data(**kwargs), "next": target if safe else ""}


class WalletView(LoginRequiredMixin, TemplateView):
    template_name = "chains/wallet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "chains": CHAINS.values(),
            "wallets": LinkedWallet.objects.filter(user_id=int(self.request.user.pk or 0)),
        }
