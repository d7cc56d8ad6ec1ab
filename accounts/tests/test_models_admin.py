"""The custom user model and its admin."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_username_and_is_normalised():
    user = User.objects.create_user(email="Grace@Example.COM", password="a long passphrase!")

    assert user.email == "grace@example.com"
    assert user.get_username() == "grace@example.com"
    assert user.check_password("a long passphrase!")
    assert not user.email_verified
    assert not user.is_staff


def test_superuser_is_staff_and_verified():
    admin = User.objects.create_superuser(email="ops@example.com", password="operator pass 123")

    assert admin.is_staff and admin.is_superuser and admin.email_verified


def test_passwords_are_hashed_with_argon2():
    user = User.objects.create_user(email="a@example.com", password="a long passphrase!")

    assert user.password.startswith("argon2")


def test_admin_actions_verify_and_deactivate():
    operator = StaffUserFactory.create(email="ops@example.com")
    unverified = UserFactory.create(email="u@example.com", unverified=True)
    request = RequestFactory().post("/admin/accounts/user/")
    request.user = operator
    request._messages = []  # type: ignore[attr-defined]
    model_admin = UserAdmin(User, site)
    model_admin.message_user = lambda *args, **kwargs: None  # type: ignore[method-assign]
    everyone = User.objects.all()

    model_admin.mark_verified(request, everyone)
    model_admin.deactivate(request, everyone)

    unverified.refresh_from_db()
    operator.refresh_from_db()
    assert unverified.email_verified
    assert not unverified.is_active
    assert operator.is_active, "an operator cannot deactivate themself"


def test_audit_and_email_admin_are_read_only(client):
    operator = StaffUserFactory.create(email="ops@example.com")
    client.force_login(operator)
    from accounts.audit import audit_record

    audit_record(action="login", user=operator)

    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get("/admin/accounts/sentemail/").status_code == 200
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    event_id = operator.audit_events.get().pk
    assert client.post(f"/admin/accounts/auditevent/{event_id}/delete/").status_code == 403
