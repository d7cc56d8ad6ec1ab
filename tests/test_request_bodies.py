"""Request bodies from outside: too large → 413, too deep or malformed JSON → 400
``invalid_json``, always in the API's JSON error shape (issue 11, findings 1 and 2)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, api_for

pytestmark = pytest.mark.django_db

PUBLIC_POSTS = ["/api/auth/login", "/api/auth/signup", "/api/wallets/login"]


@pytest.fixture
def trader_api(db) -> APIClient:
    return api_for(UserFactory.create(email="t@example.com", name="T", unverified=True))


def post_raw(client: APIClient, path: str, body: bytes | str, content_type: str):
    return client.generic("POST", path, body, content_type=content_type)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", [*PUBLIC_POSTS, "/api/orders"])
def test_a_body_over_the_upload_limit_is_a_413(trader_api, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"email": "a@example.com", "password": "x" * 20_000})

    response = post_raw(trader_api, path, body, "application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_a_page_form_over_the_upload_limit_is_a_413_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = client.post("/accounts/login/", {"email": "a@example.com", "password": "x" * 20_000})

    assert response.status_code == 413
    assert b"too" in response.content.lower()


@pytest.mark.parametrize("path", [*PUBLIC_POSTS, "/api/orders"])
@pytest.mark.parametrize(
    "body",
    [
        "[" * 200_000,  # the body that crashed the process
        "[" * 65 + "]" * 65,  # one level deeper than accepted
        '{"a": ' * 65 + "1" + "}" * 65,
        '{"email": "a@example.com", ',  # cut short
        '{"quantity": NaN}',  # not JSON
        b'{"email": "\xff"}',  # not UTF-8
    ],
)
def test_malformed_or_deep_json_is_a_400_invalid_json(trader_api, path, body):
    response = post_raw(trader_api, path, body, "application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_nesting_up_to_64_levels_is_read(trader_api):
    deep_but_fine: dict[str, object] = {"email": "a@example.com", "password": "y" * 16}
    deep_but_fine["x"] = [[[[1]]]]
    for _ in range(58):
        deep_but_fine = {"x": deep_but_fine}

    response = post_raw(
        trader_api, "/api/auth/login", json.dumps(deep_but_fine), "application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"  # read fine, then refused for its fields
