"""The logged-in home page (a screen): the account at a glance, from one read.

``cryptovault.urls`` (the composition root) hands this view to the core's home page,
which shows it to a logged-in visitor and the marketing page to everyone else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from trading.dashboard_reads import dashboard_for


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "trading/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        dashboard = dashboard_for(user=self.request.user)  # type: ignore[arg-type]
        # Every holding (not only the ones listed): the live total values them all.
        live = " ".join(f"{row['coin']}={row['quantity']}" for row in dashboard.portfolio.holdings)
        return {**super().get_context_data(**kwargs), "dash": dashboard, "live_holdings": live}
