"""Each account endpoint's rate limit at its SPEC number, per trusted client IP."""

import pytest

from accounts.ratelimits import RATES

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "signup": ("/api/auth/signup", {"email": "x@example.com", "password": "short"}),
    "verify": ("/api/auth/verify-email", {"email": "x@example.com", "code": "000000"}),
    "resend": ("/api/auth/resend-verification", {"email": "x@example.com"}),
    "login": ("/api/auth/login", {"email": "x@example.com", "password": "whatever it is"}),
    "forgot": ("/api/auth/forgot-password", {"email": "x@example.com"}),
    "reset": ("/api/auth/reset-password", {"token": "nope", "password": "whatever it is"}),
}
SPEC_LIMITS = {"signup": 5, "verify": 10, "resend": 3, "login": 10, "forgot": 3, "reset": 5}


def test_rates_are_the_spec_numbers():
    # A password change (the account page) is limited like a login (issue 11).
    assert {name: int(rate.split("/")[0]) for name, rate in RATES.items()} == {
        **SPEC_LIMITS,
        "password_change": 10,
    }


@pytest.mark.parametrize("name", SPEC_LIMITS)
def test_api_endpoint_allows_its_limit_then_answers_429(api, name):
    path, body = ENDPOINTS[name]
    for n in range(SPEC_LIMITS[name]):
        # A different address each time, so that the login lockout is not what answers.
        attempt = {**body, "email": f"x{n}@example.com"}
        assert api.post(path, attempt, format="json").status_code != 429

    response = api.post(path, {**body, "email": "last@example.com"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("name", "path", "body"),
    [
        ("signup", "/accounts/signup/", {"email": "x@example.com", "password": "short"}),
        ("login", "/accounts/login/", {"email": "x@example.com", "password": "whatever it is"}),
        ("forgot", "/accounts/password/forgot/", {"email": "x@example.com"}),
    ],
)
def test_page_shows_the_429_page(client, name, path, body):
    for _ in range(SPEC_LIMITS[name]):
        assert client.post(path, body).status_code != 429

    response = client.post(path, body)

    assert response.status_code == 429
    assert "Slow down" in response.content.decode()


def test_page_and_api_share_one_allowance(client, api):
    for _ in range(2):
        client.post("/accounts/password/forgot/", {"email": "x@example.com"})
    api.post("/api/auth/forgot-password", {"email": "x@example.com"}, format="json")

    assert client.post("/accounts/password/forgot/", {"email": "x@example.com"}).status_code == 429


def test_a_forged_x_forwarded_for_does_not_dodge_the_limit(api):
    path, body = ENDPOINTS["forgot"]
    for n in range(3):
        api.post(path, body, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = api.post(path, body, format="json", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    path, body = ENDPOINTS["forgot"]
    for _ in range(3):
        api.post(path, body, format="json", HTTP_X_FORWARDED_FOR="203.0.113.7")

    blocked = api.post(path, body, format="json", HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = api.post(path, body, format="json", HTTP_X_FORWARDED_FOR="203.0.113.8")
    # A client prepending a fake address: the proxy's entry (rightmost) still counts.
    forged = api.post(path, body, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")

    assert blocked.status_code == 429
    assert other.status_code == 200
    assert forged.status_code == 429


def test_with_the_counter_store_down_limited_endpoints_fail_closed_not_500(api, settings):
    down = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "IGNORE_EXCEPTIONS": True,
        },
    }
    settings.CACHES = {**settings.CACHES, "ratelimit": down}

    response = api.post("/api/auth/login", ENDPOINTS["login"][1], format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
