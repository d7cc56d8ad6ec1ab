"""Forgot password, reset tokens, and what a password change ends (SPEC §2)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, PasswordResetToken
from accounts.tests.conftest import NEW_PASSWORD, last_email, link_in, token_in
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def forgot(api, email="ada@example.com"):
    return api.post("/api/auth/forgot-password", {"email": email}, format="json")


def reset_token(api) -> str:
    forgot(api)
    return token_in(link_in(last_email("ada@example.com"), "/accounts/password/reset/"))


def test_forgot_password_emails_a_link_built_from_app_url(api, user):
    response = forgot(api)

    assert response.status_code == 200
    link = link_in(last_email("ada@example.com"), "/accounts/password/reset/")
    assert link.startswith("http://127.0.0.1:8000/accounts/password/reset/")
    stored = PasswordResetToken.objects.get()
    assert token_in(link) not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(hours=1)


def test_forgot_password_answers_the_same_for_unknown_emails(api, user):
    known, unknown = forgot(api), forgot(api, email="nobody@example.com")

    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_validate_reset_token(api, user):
    token = reset_token(api)

    good = api.get(f"/api/auth/validate-reset-token/{token}")
    bad = api.get("/api/auth/validate-reset-token/not-a-token")

    assert (good.status_code, good.json()) == (200, {"valid": True})
    assert bad.status_code == 400
    assert bad.json()["valid"] is False and bad.json()["code"] == "invalid_token"


def test_reset_sets_the_password_and_the_token_is_single_use(api, user):
    token = reset_token(api)

    response = api.post(
        "/api/auth/reset-password", {"token": token, "password": NEW_PASSWORD}, format="json"
    )
    again = api.post(
        "/api/auth/reset-password",
        {"token": token, "password": "yet another passphrase"},
        format="json",
    )

    assert response.status_code == 200
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "changed" in last_email("ada@example.com").subject
    assert AuditEvent.objects.filter(action="password_reset", user=user).exists()


def test_reset_token_expires_after_an_hour(api, user):
    token = reset_token(api)
    PasswordResetToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.post(
        "/api/auth/reset-password", {"token": token, "password": NEW_PASSWORD}, format="json"
    )

    assert response.json()["code"] == "token_expired"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_token_dies_when_the_password_changes_otherwise(api, user):
    token = reset_token(api)
    services.password_change(user=user, current_password=PASSWORD, new_password=NEW_PASSWORD)

    response = api.get(f"/api/auth/validate-reset-token/{token}")

    assert response.json()["valid"] is False


def test_reset_with_a_weak_password_keeps_the_token(api, user):
    token = reset_token(api)

    weak = api.post(
        "/api/auth/reset-password", {"token": token, "password": "short"}, format="json"
    )

    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    assert api.get(f"/api/auth/validate-reset-token/{token}").json()["valid"] is True


def test_reset_ends_sessions_and_tokens_issued_before(api, user):
    tokens = api.post(
        "/api/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json"
    ).json()
    browser = Client()
    browser.force_login(user)
    assert browser.get("/api/auth/me").status_code == 200
    token = reset_token(api)

    api.post("/api/auth/reset-password", {"token": token, "password": NEW_PASSWORD}, format="json")

    assert browser.get("/api/auth/me").status_code == 401  # the session is gone
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/auth/me").status_code == 401
    api.credentials()
    refreshed = api.post("/api/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_password_change_needs_the_current_password(user):
    from cryptovault.errors import DomainError

    with pytest.raises(DomainError) as error:
        services.password_change(
            user=user, current_password="wrong one!", new_password=NEW_PASSWORD
        )

    assert error.value.field == "current_password"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
