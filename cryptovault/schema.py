"""OpenAPI schema generation tuned to our code's shape, and the views that serve it.

Two jobs:

- ``AutoSchema`` documents the error answers every operation really gives, in the one
  shape of SPEC §6 (component ``Error``), so a client generator knows them and
  ``status_code_conformance`` (tests/test_api_fuzz.py) can hold the API to its schema;
- ``JsonErrorsMixin`` makes the views that serve the schema and its docs answer their
  own errors (a 405, a 406) in that JSON shape too, not in the YAML or HTML their
  successes are rendered in (the views are in ``cryptovault.api_urls``: DRF imports
  this module while it loads its settings, before those views can be defined).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class ErrorSerializer(serializers.Serializer):
    """The body of every API error: what went wrong, for a person and for a program."""

    # Documents cryptovault.errors.error_body (SPEC §6); the docstring above is shown
    # to API clients as the component's description.
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="What went wrong, for a program (stable).")
    request_id = serializers.CharField(help_text="The X-Request-ID of the request (a UUID).")
    # A field named "errors" is fine for documenting; the stubs see Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False,
        help_text="Validation errors only: field name to a list of messages "
        "(a nested input nests the same way; non_field_errors for the input as a whole).",
    )


# Statuses a rule inside an operation gives, which nothing in the view's declaration
# shows (services raise DomainError with these statuses). Keyed by (method, path) as
# the schema spells them; a view can instead declare its own with
# ``extend_schema(responses={409: ErrorSerializer})``, which wins over these.
# tests/test_api_fuzz.py fails when an operation answers a status missing here.
CHAIN_ERRORS = {
    502: "The chain's RPC node did not answer (`chain_unavailable`).",
    503: "This server has no RPC URL for the chain (`rpc_not_configured`).",
}
OPERATION_ERRORS: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/api/auth/login"): {
        401: "Wrong email or password (`invalid_credentials`).",
        403: "The email is not verified yet (`email_not_verified`).",
    },
    ("POST", "/api/auth/logout"): {401: "The refresh token is not valid (`token_not_valid`)."},
    ("POST", "/api/auth/token/refresh"): {
        401: "The refresh token is not valid or was used (`token_not_valid`)."
    },
    ("POST", "/api/wallets/login"): {
        401: "No account has linked this address (`wallet_not_linked`).",
        403: "A browser request that failed the CSRF check (`csrf_failed`).",
    },
    ("POST", "/api/wallets"): {409: "The address is linked to another account (`address_taken`)."},
    ("POST", "/api/wallets/transactions"): {
        404: "The transaction was recorded by another account (`not_found`).",
        **CHAIN_ERRORS,
    },
    ("POST", "/api/orders"): {
        409: "The client_order_id was used with another body (`idempotency_conflict`)."
    },
    ("POST", "/api/orders/{order_id}/cancel"): {
        409: "The order is not open any more (`not_cancellable`)."
    },
    ("GET", "/api/chains/{chain_id}/gas"): CHAIN_ERRORS,
    ("POST", "/api/chains/{chain_id}/estimate"): CHAIN_ERRORS,
}


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view, and documents each operation's errors.

    Every API view holds its own ``InputSerializer`` / ``OutputSerializer`` (STYLE.md),
    so the class name alone would give every view's input the same component name:
    SignupApi.InputSerializer is SignupApiInput.
    """

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        qualname: str = serializer.__class__.__qualname__
        if "." in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is None:
            return None
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status_code, description in sorted(self._error_statuses(operation).items()):
            # What a view declared itself (a 400 with its own body, say) stays.
            responses.setdefault(str(status_code), self._error_response(status_code, description))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> dict[int, str]:
        """The error statuses this operation can answer, each with why, derived from
        what it takes (body, query, path), who may call it and how it is limited."""
        parameters = operation.get("parameters", [])
        located = {parameter.get("in") for parameter in parameters}
        paginated = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
        has_body = "requestBody" in operation
        statuses: dict[int, str] = {}
        if has_body or "query" in located:
            statuses[400] = "The input is not valid: `errors` names the fields (`invalid`)."
        if has_body:
            statuses[400] = (
                "The input is not valid: `errors` names the fields (`invalid`), "
                "the body is not JSON or nests deeper than 64 levels (`invalid_json`), "
                "or a rule refused it."
            )
            statuses[413] = "The body is larger than the server accepts (`payload_too_large`)."
            statuses[415] = (
                "The body is not sent as JSON, a form or multipart (`unsupported_media_type`)."
            )
        if self.view.get_authenticators():
            # Any credentials sent are checked, even where anonymous calls are allowed.
            statuses[401] = "Credentials missing, invalid or expired (`not_authenticated`, ...)."
            statuses[403] = (
                "Not allowed: a session request without its CSRF token, "
                "or credentials that do not grant this (`permission_denied`)."
            )
        if "path" in located:
            statuses[404] = "Nothing with this id belongs to you (`not_found`)."
        elif paginated:
            statuses[404] = "No such page: past the last one, or not a page number (`not_found`)."
        # Listed on every operation: a method the path does not offer answers 405 (with
        # Allow), and a checker sending one reports against the operation it tried.
        statuses[405] = "This path does not offer this method (`method_not_allowed`)."
        if self.method == "POST":
            # Most POSTs are rate limited (sign-up, logins, orders, nonces...).
            statuses[429] = "Too many requests: `Retry-After` says when to retry (`rate_limited`)."
        statuses.update(OPERATION_ERRORS.get((self.method, self.path), {}))
        return statuses

    def _error_response(self, status_code: int, description: str) -> dict[str, Any]:
        component = self.resolve_serializer(ErrorSerializer(), "response")
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": component.ref}},
        }
        if status_code == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds until the limit's window resets.",
                    "schema": {"type": "integer"},
                }
            }
        return response


class JsonErrorsMixin:
    """A view whose successes are not JSON (YAML, HTML) still answers errors in the API's
    JSON shape: the error body is rendered by the JSON renderer, not by the one that
    content negotiation chose for a success (which made ``DELETE /api/schema/`` a
    YAML 405), nor by one that negotiation failed to find (406)."""

    def handle_exception(self, exc: Exception) -> Response:
        response: Response = super().handle_exception(exc)  # type: ignore[misc]
        request = self.request  # type: ignore[attr-defined]
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
        return response
