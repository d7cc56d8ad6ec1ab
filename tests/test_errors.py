"""API errors share one JSON shape; pages get friendly HTML error pages."""

import io
import json
import logging
import uuid

import pytest
from django.test import Client

from cryptovault.logging import JsonFormatter, RequestIdFilter

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]


@pytest.fixture
def client_500():
    """A client that receives the 500 response instead of re-raising the error."""
    return Client(raise_request_exception=False)


def assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    assert uuid.UUID(body["request_id"])
    return body


def test_unknown_api_path_is_json_404(client):
    assert_error_shape(client.get("/api/no/such/thing"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    assert_error_shape(client.delete("/api/"), 405, "method_not_allowed")


def test_validation_error_lists_fields(client):
    response = client.post(
        "/api/test/echo", {"quantity": "-1", "side": "hold"}, content_type="application/json"
    )

    body = assert_error_shape(response, 400, "invalid")
    assert set(body["errors"]) == {"quantity", "side"}
    assert all(isinstance(messages, list) for messages in body["errors"].values())


def test_malformed_json_is_a_400_not_a_500(client):
    response = client.post("/api/test/echo", "{not json", content_type="application/json")

    assert_error_shape(response, 400, "invalid_json")


def test_unauthenticated_is_json_401_or_403(client):
    response = client.get("/api/test/private")

    assert response.status_code in (401, 403)
    assert_error_shape(response, response.status_code, "not_authenticated")


def test_domain_error_keeps_its_code_and_field(client):
    body = assert_error_shape(client.get("/api/test/domain"), 400, "insufficient_funds")

    assert body["errors"] == {"quantity": ["Not enough USD."]}


def test_unhandled_api_error_is_json_500_and_logged_with_its_request_id(client_500):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logging.getLogger("cryptovault.errors").addHandler(handler)
    try:
        response = client_500.get("/api/test/broken")
    finally:
        logging.getLogger("cryptovault.errors").removeHandler(handler)

    body = assert_error_shape(response, 500, "server_error")
    assert "boom" not in response.content.decode()
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["level"] == "ERROR"
    assert line["request_id"] == body["request_id"]
    assert "RuntimeError: boom" in line["exception"]


def test_api_rate_limit_is_json_429_with_retry_after(client):
    for _ in range(2):
        assert client.get("/api/test/limited").status_code == 200

    response = client.get("/api/test/limited")

    assert_error_shape(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0


def test_page_404_is_friendly_html(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()


def test_page_500_is_friendly_html_with_reference(client_500):
    response = client_500.get("/test/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert response["X-Request-ID"] in html
    assert "boom" not in html


def test_page_403_and_400_are_friendly_html(client):
    forbidden = client.get("/test/forbidden/")
    bad = client.get("/test/suspicious/")

    assert forbidden.status_code == 403 and "Not allowed" in forbidden.content.decode()
    assert bad.status_code == 400 and "Bad request" in bad.content.decode()


def test_page_rate_limit_is_friendly_429(client):
    for _ in range(2):
        client.get("/test/limited/")

    response = client.get("/test/limited/")

    assert response.status_code == 429
    assert "Slow down" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_csrf_failure_is_a_friendly_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "a@example.com", "password": "x"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_session_authenticated_api_writes_need_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    refused = client.post(
        "/api/test/echo", {"quantity": "1", "side": "buy"}, content_type="application/json"
    )
    client.get("/")  # the page sets the CSRF cookie, as a browser would get it
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/test/echo",
        {"quantity": "1", "side": "buy"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert_error_shape(refused, 403, "permission_denied")
    assert accepted.status_code == 200


def test_a_lost_database_connection_is_a_503_to_retry_not_a_500(client, monkeypatch):
    # given a database that drops the connection under an API request
    from django.db import OperationalError

    from accounts import api as accounts_api

    def cut(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(accounts_api.services, "user_login", cut)

    # when the request runs
    response = client.post(
        "/api/auth/login",
        {"email": "a@example.com", "password": "whatever it is"},
        content_type="application/json",
    )

    # then the client is told to try again in a moment, in the API's error shape
    body = assert_error_shape(response, 503, "service_unavailable")
    assert response["Retry-After"] == "1"
    assert "try again" in body["detail"].lower()
