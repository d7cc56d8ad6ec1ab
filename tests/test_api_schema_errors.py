"""The schema view's own errors, and the errors the schema documents.

The schema is served as YAML (or JSON on request) and its docs as HTML, yet an
error from either is an API error like any other: the JSON shape of SPEC §6. And
the schema documents, for every operation, the error answers the API gives in that
shape (tests/test_api_fuzz.py holds the API to them).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

JSON_SCHEMA = "application/vnd.oai.openapi+json"
ERROR_REF = "#/components/schemas/Error"


def assert_json_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]


@pytest.fixture
def served_schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT=JSON_SCHEMA)
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


@pytest.mark.parametrize("method", ["delete", "post", "put", "patch"])
def test_a_method_the_schema_does_not_offer_is_a_json_405(client: Client, method: str) -> None:
    # When: a method other than GET reaches the schema (it answered YAML before)
    response = getattr(client, method)("/api/schema/")

    # Then: the API's JSON error, with the methods it does offer
    assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_an_accept_header_the_schema_cannot_satisfy_is_a_json_406(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="text/html")

    assert_json_error(response, 406, "not_acceptable")


def test_the_docs_page_answers_its_errors_in_json_too(client: Client) -> None:
    response = client.delete("/api/docs/")

    assert_json_error(response, 405, "method_not_allowed")


def test_the_schema_itself_is_still_yaml_or_json_on_request(client: Client) -> None:
    assert client.get("/api/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")
    assert client.get("/api/schema/", HTTP_ACCEPT=JSON_SCHEMA).json()["openapi"].startswith("3.")
    assert client.get("/api/docs/").status_code == 200


def test_the_schema_is_valid_openapi_3(served_schema: dict[str, Any]) -> None:
    validate_schema(served_schema)  # raises on an invalid document


def test_the_error_shape_is_one_component(served_schema: dict[str, Any]) -> None:
    error = served_schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"detail", "code", "request_id", "errors"}
    assert set(error["required"]) == {"detail", "code", "request_id"}


def documented(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = schema["paths"][path][method]["responses"]
    return responses


def error_ref(response: dict[str, Any]) -> str:
    ref: str = response["content"]["application/json"]["schema"]["$ref"]
    return ref


def test_an_authenticated_operation_with_an_id_documents_its_errors(
    served_schema: dict[str, Any],
) -> None:
    responses = documented(served_schema, "get", "/api/orders/{order_id}")

    assert {"200", "401", "403", "404", "405"} <= set(responses)
    assert "400" not in responses  # no body, no query: nothing to be invalid
    assert "429" not in responses  # reads are not rate limited
    for status in ("401", "403", "404", "405"):
        assert error_ref(responses[status]) == ERROR_REF


def test_a_post_with_a_body_documents_input_size_type_and_rate_errors(
    served_schema: dict[str, Any],
) -> None:
    responses = documented(served_schema, "post", "/api/orders")

    assert {"201", "400", "401", "403", "405", "409", "413", "415", "429"} <= set(responses)
    assert "Retry-After" in responses["429"]["headers"]
    assert error_ref(responses["400"]) == ERROR_REF


def test_a_public_operation_documents_no_credential_errors(
    served_schema: dict[str, Any],
) -> None:
    responses = documented(served_schema, "get", "/api/crypto/{coin_id}")

    assert {"200", "404", "405"} <= set(responses)
    assert "401" not in responses
    assert "403" not in responses


def test_paginated_lists_document_the_404_of_a_missing_page(
    served_schema: dict[str, Any],
) -> None:
    assert "404" in documented(served_schema, "get", "/api/transactions")


def test_chain_operations_document_the_designed_503(served_schema: dict[str, Any]) -> None:
    for method, path in [
        ("get", "/api/chains/{chain_id}/gas"),
        ("post", "/api/chains/{chain_id}/estimate"),
    ]:
        responses = documented(served_schema, method, path)
        assert "rpc_not_configured" in responses["503"]["description"]
        assert error_ref(responses["503"]) == ERROR_REF


def test_an_error_a_view_declares_itself_is_kept(served_schema: dict[str, Any]) -> None:
    # validate-reset-token answers 400 with {valid, detail, code}, not the Error shape
    responses = documented(served_schema, "get", "/api/auth/validate-reset-token/{token}")

    assert error_ref(responses["400"]) != ERROR_REF
