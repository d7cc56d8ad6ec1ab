"""Login, JWT refresh rotation, logout revocation, who-am-I (SPEC §2, §7)."""

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def login(api, email="ada@example.com", password=PASSWORD):
    return api.post("/api/auth/login", {"email": email, "password": password}, format="json")


def test_login_returns_tokens_and_the_user(api, user):
    response = login(api)

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {
        "id": user.id,
        "email": "ada@example.com",
        "name": "Ada",
        "email_verified": True,
    }
    header = jwt.get_unverified_header(body["access"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(body["access"], settings.JWT_SIGNING_KEY, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 15 * 60
    refresh = jwt.decode(body["refresh"], settings.JWT_SIGNING_KEY, algorithms=["HS256"])
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert AuditEvent.objects.filter(action="login", user=user).exists()


def test_jwt_key_is_its_own():
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    assert len(str(settings.SIMPLE_JWT["SIGNING_KEY"])) >= 32
    assert "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS


def test_wrong_password_and_unknown_email_answer_alike(api, user):
    wrong = login(api, password="not the password")
    unknown = login(api, email="nobody@example.com")

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


def test_unverified_login_is_refused(api):
    UserFactory.create(email="new@example.com", unverified=True)

    response = login(api, email="new@example.com")

    assert response.status_code == 403
    assert response.json()["code"] == "email_not_verified"


def test_inactive_users_cannot_log_in(api, user):
    user.is_active = False
    user.save()

    assert login(api).json()["code"] == "invalid_credentials"


def test_repeated_failures_lock_the_account_even_with_the_right_password(api, user):
    for _ in range(5):
        assert login(api, password="wrong password!").status_code == 401

    locked = login(api)

    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert AuditEvent.objects.filter(action="login_locked_out").exists()


def test_lockout_does_not_reveal_whether_an_account_exists(api, user):
    for email in ("ada@example.com", "nobody@example.com"):
        for _ in range(5):
            login(api, email=email, password="wrong password!")

    known, unknown = login(api), login(api, email="nobody@example.com")

    assert (known.status_code, known.json()["code"]) == (
        unknown.status_code,
        unknown.json()["code"],
    )


def test_me_with_the_access_token(api, user):
    access = login(api).json()["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = api.get("/api/auth/me")

    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"


def test_me_needs_authentication(api):
    response = api.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_with_session_login_works_too(client, user):
    client.force_login(user)

    assert client.get("/api/auth/me").json()["email"] == "ada@example.com"


def test_refresh_rotates_and_the_old_refresh_token_dies(api, user):
    first = login(api).json()["refresh"]

    rotated = api.post("/api/auth/token/refresh", {"refresh": first}, format="json")
    reused = api.post("/api/auth/token/refresh", {"refresh": first}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"


def test_logout_revokes_the_refresh_token(api, user):
    refresh = login(api).json()["refresh"]

    response = api.post("/api/auth/logout", {"refresh": refresh}, format="json")
    after = api.post("/api/auth/token/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 204
    assert after.status_code == 401


def test_logout_with_a_bad_token_is_401_not_500(api):
    response = api.post("/api/auth/logout", {"refresh": "garbage"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_deactivated_user_loses_refresh_and_access(api, user):
    tokens = login(api).json()
    User.objects.filter(pk=user.pk).update(is_active=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert api.get("/api/auth/me").status_code == 401
    api.credentials()
    assert (
        api.post(
            "/api/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
        ).status_code
        == 401
    )


@pytest.mark.parametrize("algorithm_header", ["none", "HS512"])
def test_tokens_with_another_algorithm_are_refused(api, user, algorithm_header):
    claims = {
        "token_type": "access",
        "user_id": str(user.pk),
        "exp": int(timezone.now().timestamp()) + 600,
        "jti": "x",
    }
    if algorithm_header == "none":
        token = jwt.encode(claims, key="", algorithm="none")
    else:
        token = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS512")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api.get("/api/auth/me").status_code == 401


def test_refresh_token_is_not_an_access_token(api, user):
    refresh = login(api).json()["refresh"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh}")

    assert api.get("/api/auth/me").status_code == 401
