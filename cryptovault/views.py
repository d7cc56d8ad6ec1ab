"""Project-level pages."""

from django.views.generic import TemplateView


class HomeView(TemplateView):
    """The landing page: what CryptoVault is and where to go next."""

    template_name = "home.html"


class FeaturePreviewView(TemplateView):
    """A section whose feature has not landed yet: says so plainly, never fakes data."""

    template_name = "feature_preview.html"
    title = ""
    summary = ""

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        return super().get_context_data(title=self.title, summary=self.summary, **kwargs)
