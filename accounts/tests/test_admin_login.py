"""The admin login is one more door to the accounts service (SPEC §6): the login rate
limit, the per-account lockout shared with the site, the audit trail, CSRF, staff only."""

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_LOGIN = "/admin/login/"
STAFF_ONLY = "Please enter the correct email address and password for a staff account."
LOCKED = "Too many wrong passwords for this account. Try again in 15 minutes."


def admin_login(client: Client, email: str, password: str, **headers: Any):
    return client.post(
        ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"}, **headers
    )


def in_admin(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def site_login(api, email: str, password: str):
    return api.post("/api/auth/login", {"email": email, "password": password}, format="json")


def test_an_operator_logs_in_and_the_login_is_audited(client, staff_user):
    response = admin_login(client, "OPS@example.com", PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert in_admin(client)
    assert AuditEvent.objects.filter(action="login", user=staff_user, data__door="admin").exists()


def test_fifteen_wrong_passwords_then_the_right_one_is_refused_and_audited(
    client, staff_user, settings
):
    # Given 15 wrong passwords, each from its own address (so no per-IP limit answers)
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(15):
        wrong = admin_login(
            client, "ops@example.com", "not the password", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        assert wrong.status_code == 200

    # When the right password comes
    response = admin_login(
        client, "ops@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99"
    )

    # Then the account is locked and says when to come back; every step is audited
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert not in_admin(client)
    failures = AuditEvent.objects.filter(action="login_failed", email="ops@example.com")
    assert failures.filter(data__door="admin").count() == 5
    locked = AuditEvent.objects.filter(action="login_locked_out", email="ops@example.com")
    assert locked.count() == 11  # the 10 wrong passwords after the lock, then the right one
    assert locked.latest("id").ip == "198.51.100.99"
    assert not AuditEvent.objects.filter(action="login").exists()


def test_eleven_quick_admin_logins_from_one_ip_get_429(client, staff_user):
    for n in range(10):
        assert admin_login(client, f"guess{n}@example.com", "whatever it is").status_code == 200

    response = admin_login(client, "ops@example.com", PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not in_admin(client)


def test_the_admin_and_the_site_share_the_login_allowance_per_ip(client, api, staff_user):
    for n in range(10):
        site_login(api, f"guess{n}@example.com", "whatever it is")

    assert admin_login(client, "ops@example.com", PASSWORD).status_code == 429


def test_admin_failures_lock_the_site_login(client, api, staff_user):
    for _ in range(5):
        admin_login(client, "ops@example.com", "not the password")

    response = site_login(api, "ops@example.com", PASSWORD)

    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"


def test_site_failures_lock_the_admin_login(client, api, staff_user):
    for _ in range(5):
        assert site_login(api, "ops@example.com", "not the password").status_code == 401

    response = admin_login(client, "ops@example.com", PASSWORD)

    assert LOCKED in response.content.decode()
    assert not in_admin(client)


def test_a_verified_user_who_is_not_staff_cannot_enter_and_it_counts(client, user):
    response = admin_login(client, "ada@example.com", PASSWORD)

    assert response.status_code == 200
    assert STAFF_ONLY in response.content.decode()
    assert not in_admin(client)
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        action="login_failed", email="ada@example.com", data__reason="not_staff"
    ).exists()


def test_a_wrong_password_and_a_non_staff_account_look_the_same(client, user):
    not_staff = admin_login(client, "ada@example.com", PASSWORD)
    wrong = admin_login(client, "ada@example.com", "not the password")

    for response in (not_staff, wrong):
        assert STAFF_ONLY in response.content.decode()


def test_an_unverified_staff_account_is_asked_to_verify_first(client):
    UserFactory.create(email="new-ops@example.com", is_staff=True, unverified=True)

    response = admin_login(client, "new-ops@example.com", PASSWORD)

    assert "Verify your email first" in response.content.decode()
    assert not in_admin(client)
    assert AuditEvent.objects.filter(action="login_unverified", data__door="admin").exists()


def test_an_inactive_operator_cannot_enter(client, staff_user):
    User.objects.filter(pk=staff_user.pk).update(is_active=False)

    response = admin_login(client, "ops@example.com", PASSWORD)

    assert STAFF_ONLY in response.content.decode()
    assert not in_admin(client)


def test_the_admin_login_still_needs_a_csrf_token(staff_user):
    browser = Client(enforce_csrf_checks=True)

    response = admin_login(browser, "ops@example.com", PASSWORD)

    assert response.status_code == 403
    assert not in_admin(browser)


def test_the_admin_login_page_works_with_a_csrf_token(staff_user):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(ADMIN_LOGIN)
    assert page.status_code == 200

    response = browser.post(
        ADMIN_LOGIN,
        {
            "username": "ops@example.com",
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
    )

    assert response.status_code == 302
    assert in_admin(browser)
    staff_user.refresh_from_db()
    assert staff_user.last_login is not None and staff_user.last_login <= timezone.now()


def test_the_admin_password_change_is_limited_like_the_account_page(client, staff_user):
    client.force_login(staff_user)
    wrong = {"old_password": "not it at all", "new_password1": "x" * 16, "new_password2": "x" * 16}
    for _ in range(10):
        assert client.post("/admin/password_change/", wrong).status_code == 200  # form error

    response = client.post("/admin/password_change/", wrong)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_the_admin_password_change_is_still_for_staff_only(client, db):
    visitor = UserFactory.create(email="v@example.com")
    client.force_login(visitor)

    response = client.get("/admin/password_change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
