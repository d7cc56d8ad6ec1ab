"""The account page's password change is guarded like a login (issue 11): the login's
rate limit per IP, the per-account lockout it shares with every login door, audited."""

import pytest

from accounts.models import AuditEvent
from accounts.tests.conftest import NEW_PASSWORD
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

LOCKED = "Too many wrong passwords for this account. Try again in 15 minutes."


def change_password(client, current: str, new: str = NEW_PASSWORD, **headers: str):
    return client.post(
        "/accounts/",
        {"change_password": "1", "current_password": current, "new_password": new},
        **headers,
    )


def test_the_eleventh_password_change_in_a_minute_gets_429(client, user, settings):
    client.force_login(user)
    for _ in range(10):
        assert change_password(client, "not my password").status_code == 200

    response = change_password(client, PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_profile_form_is_not_under_the_password_limit(client, user):
    client.force_login(user)
    for _ in range(10):
        change_password(client, "not my password")

    assert client.post("/accounts/", {"name": "Ada L."}).status_code == 302


def test_five_wrong_current_passwords_lock_the_change_and_the_login(client, api, user, settings):
    # Given five wrong current passwords, from five addresses (the per-IP limit is not
    # what answers)
    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(user)
    for n in range(5):
        wrong = change_password(client, "not my password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert "Your current password is not right." in wrong.content.decode()

    # When the right one comes
    response = change_password(client, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.50")

    # Then the change is refused in place, the password stays, the site login is locked
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    login = api.post(
        "/api/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 429 and login.json()["code"] == "account_locked"
    failures = AuditEvent.objects.filter(
        action="login_failed", email="ada@example.com", data__door="password_change"
    )
    assert failures.count() == 5
    assert sorted(str(ip) for ip in failures.values_list("ip", flat=True)) == [
        f"192.0.2.{n}" for n in range(5)
    ]
    assert AuditEvent.objects.filter(action="login_locked_out", ip="192.0.2.50").exists()


def test_site_login_failures_lock_the_password_change(client, api, user):
    client.force_login(user)
    for _ in range(5):
        api.post(
            "/api/auth/login",
            {"email": "ada@example.com", "password": "not the password"},
            format="json",
        )

    response = change_password(client, PASSWORD)

    assert LOCKED in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_right_current_password_still_changes_it(client, user):
    client.force_login(user)
    change_password(client, "not my password")

    response = change_password(client, PASSWORD)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="password_changed", user=user).exists()
