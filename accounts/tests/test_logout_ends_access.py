"""Logging out ends the login's access tokens at once, not after their 15 minutes
(issue 11, finding 11; reference/security.md J5)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import RevokedToken
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(api: APIClient) -> dict[str, str]:
    body = {"email": "ada@example.com", "password": PASSWORD}
    response = api.post("/api/auth/login", body, format="json")
    assert response.status_code == 200
    return response.json()


def me(access: str) -> int:
    return APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code


def logout(refresh: str, access: str | None = None) -> int:
    client = APIClient()
    if access:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.post("/api/auth/logout", {"refresh": refresh}, format="json").status_code


def test_the_access_token_dies_with_the_logout(api, user):
    tokens = login(api)
    assert me(tokens["access"]) == 200

    assert logout(tokens["refresh"]) == 204

    assert me(tokens["access"]) == 401
    answer = APIClient().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert answer.json()["code"] == "token_not_valid"


def test_every_access_token_of_the_login_dies_after_rotations(api, user):
    first = login(api)
    rotated = api.post("/api/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
    second = rotated.json()
    assert me(first["access"]) == me(second["access"]) == 200

    assert logout(second["refresh"]) == 204

    assert me(first["access"]) == 401
    assert me(second["access"]) == 401


def test_another_login_of_the_same_user_stays_signed_in(api, user):
    phone, laptop = login(api), login(api)

    logout(phone["refresh"])

    assert me(phone["access"]) == 401
    assert me(laptop["access"]) == 200


def test_a_token_without_a_login_id_dies_when_sent_with_the_logout(api, user):
    # Given: tokens minted before login ids existed (no "sid" claim)
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    assert me(access) == 200

    assert logout(str(refresh), access) == 204

    assert me(access) == 401


def test_revocations_are_kept_only_while_a_token_could_live(api, user):
    RevokedToken.objects.create(jti="old", expires_at=timezone.now() - timedelta(seconds=1))

    logout(login(api)["refresh"])

    revoked = RevokedToken.objects.get()
    assert revoked.jti != "old"
    assert revoked.expires_at <= timezone.now() + timedelta(minutes=15)
