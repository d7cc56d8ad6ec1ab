"""The API's routes, one include per app. Every path here lives under /api/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cryptovault import api_root
from cryptovault.schema import JsonErrorsMixin


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON on request); its errors are JSON."""


class DocsView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI over the schema; its errors are JSON like the rest of /api/.

    Our page template keeps drf-spectacular's styles in a file (its own has an inline
    ``<style>`` that the CSP refuses); the split view already serves its script as one.
    """

    template_name = "api/docs.html"


urlpatterns = [
    path("", api_root.ApiRootView.as_view(), name="api-root"),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    # The "split" view serves its script as a file, so the docs work under our CSP.
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.api_urls")),
    path("", include("markets.api_urls")),
    path("", include("trading.api_urls")),
    path("", include("chains.api_urls")),
    # Last: anything else under /api/ is a JSON 404, in DEBUG too (no HTML debug page).
    re_path(r"^.*$", api_root.api_not_found, name="api-not-found"),
]
