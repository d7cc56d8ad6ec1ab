"""Every response carries the request id, the API version and the security headers."""

import re
import uuid

import pytest

PATHS = [
    "/",
    "/markets/",
    "/accounts/login/",
    "/admin/login/",
    "/health",
    "/health/live",
    "/api/",
    "/api/schema/",
    "/api/docs/",
    "/api/does-not-exist",
    "/no-such-page/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_every_response_has_the_headers(client, path):
    response = client.get(path)

    assert uuid.UUID(response["X-Request-ID"])
    assert response["X-API-Version"] == "1"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split("; ") if part.strip()
    )
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_pages_carry_a_fresh_script_nonce_matching_their_script_tags(client):
    first, second = client.get("/"), client.get("/")

    nonces = []
    for response in (first, second):
        match = re.search(r"script-src[^;]*'nonce-([^']+)'", response["Content-Security-Policy"])
        assert match, response["Content-Security-Policy"]
        nonce = match.group(1)
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_valid_incoming_request_id_is_kept(client):
    incoming = str(uuid.uuid4())

    response = client.get("/health/live", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["not-a-uuid", "x" * 500, "1; DROP TABLE", ""])
def test_invalid_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/health/live", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] != incoming
    assert uuid.UUID(response["X-Request-ID"])


@pytest.mark.django_db
def test_each_request_gets_its_own_id(client):
    ids = {client.get("/health/live")["X-Request-ID"] for _ in range(5)}

    assert len(ids) == 5
