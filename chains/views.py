from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from chains import selectors
from chains.registry import CHAINS, Chain
from cryptovault.redirects import safe_next_url

METAMASK_URL = "https://metamask.io/download/"


@dataclass(frozen=True)
class LinkedRow:
    """A linked address as the page lists it: with its chain's name and explorer page."""

    address: str
    chain_id: int
    chain_name: str
    explorer_url: str  # the address on the chain's explorer; "" when the chain has none
    linked_at: datetime


def explorer_address_url(chain: Chain | None, address: str) -> str:
    if chain is None or not chain.explorer_url:
        return ""
    return f"{chain.explorer_url}/address/{address}"


class WalletLoginView(TemplateView):
    template_name = "chains/wallet_login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Empty when there is no safe one: the page's script then goes to its own default.
        next_url = safe_next_url(self.request, default="")
        return {
            **super().get_context_data(**kwargs),
            "next": next_url,
            "metamask_url": METAMASK_URL,
        }


class WalletView(LoginRequiredMixin, TemplateView):
    template_name = "chains/wallet.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        chains = list(CHAINS.values())
        linked = []
        for wallet in selectors.wallet_list(user=self.request.user):  # type: ignore[arg-type]
            chain = CHAINS.get(wallet.chain_id)
            linked.append(
                LinkedRow(
                    address=wallet.address,
                    chain_id=wallet.chain_id,
                    chain_name=chain.name if chain else f"Chain {wallet.chain_id}",
                    explorer_url=explorer_address_url(chain, wallet.address),
                    linked_at=wallet.linked_at,
                )
            )
        return {
            **super().get_context_data(**kwargs),
            "chains": chains,
            # Gas is shown before a wallet connects, for every chain this server reaches;
            # the others are named as such (their RPC URL is never written in the page).
            "gas_chains": [chain for chain in chains if chain.rpc_url],
            "gas_unconfigured": [chain for chain in chains if not chain.rpc_url],
            "wallets": linked,
            "metamask_url": METAMASK_URL,
        }
