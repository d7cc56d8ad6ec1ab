"""``GET /api/``: every route the apps mount under /api/, read from the URL conf."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, get_resolver, include, path, re_path, resolve
from drf_spectacular.generators import SchemaGenerator

from cryptovault.api_root import api_routes
from cryptovault.urls import urlpatterns as site_urlpatterns
from trading import api_urls as trading_api_urls

# The API's own routes: this front door, the schema, the docs and the JSON 404.
FRONT_DOOR = {"api-root", "api-schema", "api-docs", "api-not-found"}


def _listed(client) -> dict:
    response = client.get("/api/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _urls(body: dict) -> dict[str, str]:
    """``{path: name}`` of every resource the root lists."""
    return {
        url.removeprefix("http://testserver"): name
        for group in body["resources"].values()
        for name, url in group.items()
    }


def test_the_front_door_keeps_its_links(client):
    body = _listed(client)

    assert body["name"] == "CryptoVault API"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["health"] == "http://testserver/health"


def test_every_named_api_route_is_listed(client):
    # Every name Django can reverse that belongs to the API, whatever list declares it.
    names = {
        key.removeprefix("api-")
        for key in get_resolver().reverse_dict
        if isinstance(key, str) and key.startswith("api-") and key not in FRONT_DOOR
    }

    listed = set(_urls(_listed(client)).values())

    assert names, "the URL conf has API routes"
    assert names == listed


def test_every_operation_of_the_schema_is_listed(client):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    listed = _urls(_listed(client))

    assert set(schema["paths"]) <= set(listed)
    for group, routes in _listed(client)["resources"].items():
        for url in routes.values():
            operations = schema["paths"].get(url.removeprefix("http://testserver"), {})
            # Grouped as the docs page groups them (its tags).
            assert all(op["tags"] == [group] for op in operations.values()), url


def test_groups_cover_the_api(client):
    groups = _listed(client)["resources"]

    for group in ("auth", "crypto", "watchlist", "orders", "portfolio", "chains", "wallets"):
        assert group in groups
    assert groups["orders"]["order-cancel"] == "http://testserver/api/orders/{order_id}/cancel"
    assert groups["auth"]["login"] == "http://testserver/api/auth/login"


def test_each_listed_path_reaches_its_own_view(client):
    for url, name in _urls(_listed(client)).items():
        concrete = re.sub(r"\{[^}]+\}", "1", url)  # every converter takes "1"

        match = resolve(concrete)

        assert match.url_name == f"api-{name}", url


# --- built from the URL conf: a route an app adds appears without a hand list -------


def _view(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse()


urlpatterns = [
    path(
        "api/",
        include(
            [
                path("", include([path("alerts/<int:alert_id>", _view, name="api-alert")])),
                path("", include([re_path(r"^tax/(?P<year>[0-9]{4})$", _view, name="api-tax")])),
            ]
        ),
    ),
    *site_urlpatterns,
]


@pytest.mark.urls("tests.test_api_root")
def test_a_route_added_to_an_api_list_appears(client):
    body = _listed(client)

    assert body["resources"]["alerts"] == {"alert": "http://testserver/api/alerts/{alert_id}"}
    assert body["resources"]["tax"] == {"tax": "http://testserver/api/tax/{year}"}
    assert "watchlist" in body["resources"]  # the site's own still there


def test_routes_come_in_the_url_conf_order():
    declared = [
        (entry.name or "").removeprefix("api-")
        for entry in trading_api_urls.urlpatterns
        if isinstance(entry, URLPattern) and str(entry.pattern).startswith("orders")
    ]

    names = [route.name for route in api_routes() if route.group == "orders"]

    assert names == declared


# --- the docs page under the CSP -----------------------------------------------------


def test_the_docs_page_needs_no_inline_style_or_script(client):
    # The CSP allows styles and scripts from files only (style-src 'self'; scripts by
    # nonce): drf-spectacular's own page has an inline <style>, ours a stylesheet.
    response = client.get("/api/docs/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<style" not in page and " style=" not in page
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", page))
    assert "/static/css/api-docs.css" in page
    assert "style-src 'self'" in response["Content-Security-Policy"]
