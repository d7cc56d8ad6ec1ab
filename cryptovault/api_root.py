"""The API's front door: where the browsable API starts, and a map of every resource.

``GET /api/`` lists every route the apps mount under ``/api/``, read from the URL
conf at request time, so a route added to an app's ``api_urls`` appears here without
anyone keeping a list. Routes are grouped by their first path segment (``auth``,
``crypto``, ``watchlist``, ``orders``...), the way the docs page groups operations,
and written as URI templates (``/api/orders/{order_id}``) like the OpenAPI schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, get_script_prefix
from django.urls.resolvers import RegexPattern, RoutePattern
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from cryptovault import __version__

API_PREFIX = "api/"
NAME_PREFIX = "api-"  # every API route's name starts so; under /api/ it says nothing

_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")  # <int:order_id> -> order_id
_GROUP = re.compile(r"\(\?P<([^>]+)>[^)]*\)")  # (?P<order_id>[0-9]+) -> order_id


@dataclass(frozen=True)
class ApiRoute:
    """One route of an app's API list: its group, its name and its URI template."""

    group: str
    name: str
    path: str  # "/api/orders/{order_id}" (without the script prefix)


def _template(pattern: RoutePattern | RegexPattern | object) -> str:
    """A pattern's piece of the path, its parameters as ``{name}``."""
    if isinstance(pattern, RegexPattern):
        text = _GROUP.sub(r"{\1}", pattern.regex.pattern)
        return text.removeprefix("^").removesuffix("$").replace("\\", "")
    return _CONVERTER.sub(r"{\1}", str(pattern))


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, depth: int
) -> Iterator[tuple[str, URLPattern, int]]:
    """Every route below ``patterns``: its full path template, the pattern, and how many
    ``include`` levels down it sits."""
    for entry in patterns:
        path = prefix + _template(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, path, depth + 1)
        else:
            yield path, entry, depth


def api_routes(urlconf: str | None = None) -> list[ApiRoute]:
    """Every route the apps mount under ``/api/``, in the URL conf's order.

    The API's own list (``cryptovault.api_urls``) is one ``include`` down from the root;
    what it holds itself (this front door, the schema, the docs, the JSON 404) is not a
    resource. The apps' routes are the ones its ``include`` entries bring in.
    """
    routes = []
    for path, pattern, depth in _walk(get_resolver(urlconf).url_patterns, "", 0):
        if depth < 2 or not path.startswith(API_PREFIX):
            continue
        relative = path.removeprefix(API_PREFIX)
        name = pattern.name or relative
        routes.append(
            ApiRoute(
                group=relative.split("/", 1)[0],
                name=name.removeprefix(NAME_PREFIX),
                path=f"/{path}",
            )
        )
    return routes


class ApiRootView(APIView):
    """Links to the API's schema, documentation, health, and every resource."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri(get_script_prefix()).rstrip("/")
        resources: dict[str, dict[str, str]] = {}
        for route in api_routes(getattr(request, "urlconf", None)):
            resources.setdefault(route.group, {})[route.name] = base + route.path
        return Response(
            {
                "name": "CryptoVault API",
                "version": __version__,
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
                "health": reverse("health", request=request),
                "resources": resources,
            }
        )


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
def api_not_found(request: Request) -> Response:
    """No API route matched: the API's own 404 shape."""
    raise NotFound()
