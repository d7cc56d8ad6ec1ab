"""URL routes: pages, the API under /api/, admin, health and the OpenAPI docs."""

from django.contrib import admin
from django.urls import include, path

from accounts.views import DevOutboxView, admin_login, admin_password_change
from cryptovault import health, views
from trading.dashboard import DashboardView

urlpatterns = [
    # Logged in, the home is the trader's dashboard; logged out, the marketing page.
    path("", views.HomeView.as_view(signed_in=DashboardView.as_view()), name="home"),
    path("accounts/", include("accounts.urls")),
    path("markets/", include("markets.urls")),
    path("", include("trading.urls")),
    path("wallet/", include("chains.urls")),
    # Ahead of the admin's own login/: the same view, under the login rate limit.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/password_change/", admin_password_change, name="admin-password-change"),
    path("admin/", admin.site.urls),
    path("dev/outbox/", DevOutboxView.as_view(), name="dev-outbox"),
    path("health", health.health, name="health"),
    path("health/live", health.live, name="health-live"),
    path("api/", include("cryptovault.api_urls")),
]

handler400 = "cryptovault.errors.bad_request"
handler403 = "cryptovault.errors.permission_denied"
handler404 = "cryptovault.errors.page_not_found"
handler500 = "cryptovault.errors.server_error"

admin.site.site_header = "CryptoVault operations"
admin.site.site_title = "CryptoVault admin"
