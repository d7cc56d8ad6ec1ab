"""Project-level pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.generic import TemplateView


class HomeView(TemplateView):
    """The landing page: what CryptoVault is and where to go next. A logged-in visitor
    gets ``signed_in`` instead (the dashboard), which the composition root
    (``cryptovault.urls``) passes in: the core imports no app."""

    template_name = "home.html"
    signed_in: Callable[..., HttpResponse] | None = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.signed_in is not None and request.user.is_authenticated:
            return self.signed_in(request, *args, **kwargs)
        return super().get(request, *args, **kwargs)


class FeaturePreviewView(TemplateView):
    """A section whose feature has not landed yet: says so plainly, never fakes data."""

    template_name = "feature_preview.html"
    title = ""
    summary = ""

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        return super().get_context_data(title=self.title, summary=self.summary, **kwargs)
