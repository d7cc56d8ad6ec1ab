"""Sign-up and email verification through the API (SPEC §2, §7)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, EmailVerification, User
from accounts.tests.conftest import code_in, last_email, link_in, token_in
from accounts.tests.factories import PASSWORD

# Real commits: emails leave in transaction.on_commit.
pytestmark = pytest.mark.django_db(transaction=True)


def signup(api, email="new@example.com", password=PASSWORD, name="Newton"):
    return api.post(
        "/api/auth/signup", {"email": email, "password": password, "name": name}, format="json"
    )


def test_signup_creates_an_unverified_user_and_emails_a_code_and_a_link(api):
    response = signup(api)

    assert response.status_code == 201
    assert set(response.json()) == {"detail"}
    user = User.objects.get(email="new@example.com")
    assert user.name == "Newton" and not user.email_verified
    message = last_email("new@example.com")
    code = code_in(message)
    link = link_in(message, "/accounts/verify/")
    assert link.startswith("http://127.0.0.1:8000/accounts/verify/")
    assert code in message.subject
    html = str(message.alternatives[0][0])
    assert code in html and link in html
    stored = EmailVerification.objects.get(user=user)
    assert code not in stored.code_hash and token_in(link) not in stored.token_hash
    assert AuditEvent.objects.filter(action="signup", user=user).exists()


def test_links_use_app_url_not_the_request_host(api, settings):
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]

    api.post(
        "/api/auth/signup",
        {"email": "new@example.com", "password": PASSWORD},
        format="json",
        HTTP_HOST="evil.example",
    )

    assert "evil.example" not in last_email("new@example.com").body


def test_signup_of_a_taken_email_answers_the_same_and_warns_the_owner(api, user):
    fresh = signup(api, email="fresh@example.com")
    taken = signup(api, email="ADA@example.com")

    assert (taken.status_code, taken.json()) == (fresh.status_code, fresh.json())
    assert User.objects.filter(email="ada@example.com").count() == 1
    warning = last_email("ada@example.com")
    assert "already have" in warning.subject
    assert not EmailVerification.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short pass1", "too short"),  # 11 characters
        ("password1234", "too common"),
        ("x" * 129, "too long"),
    ],
)
def test_weak_passwords_are_refused_with_the_field(api, password, why):
    response = signup(api, password=password)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_password"
    assert "password" in body["errors"]
    assert not User.objects.exists()


def test_long_and_plain_passwords_are_accepted_whole(api):
    long_password = "a" * 10 + " lowercase only phrase " + "b" * 95  # 128 characters

    assert signup(api, password=long_password).status_code == 201
    user = User.objects.get()
    assert user.check_password(long_password)
    assert not user.check_password(long_password[:-1])


def test_signup_validation_errors_name_the_fields(api):
    response = api.post("/api/auth/signup", {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password"}


def test_verify_by_code_returns_tokens_and_user(api):
    signup(api)
    code = code_in(last_email("new@example.com"))

    response = api.post(
        "/api/auth/verify-email", {"email": "new@example.com", "code": code}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "new@example.com" and body["user"]["email_verified"] is True
    assert User.objects.get().email_verified
    assert "Welcome" in last_email("new@example.com").subject


def test_verify_by_link_token(api):
    signup(api)
    token = token_in(link_in(last_email("new@example.com"), "/accounts/verify/"))

    response = api.post("/api/auth/verify-email", {"token": token}, format="json")

    assert response.status_code == 200
    assert response.json()["user"]["email_verified"] is True


def test_a_used_link_cannot_be_reused(api):
    signup(api)
    token = token_in(link_in(last_email("new@example.com"), "/accounts/verify/"))
    api.post("/api/auth/verify-email", {"token": token}, format="json")

    again = api.post("/api/auth/verify-email", {"token": token}, format="json")

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


def test_a_used_code_cannot_be_reused(api):
    signup(api)
    code = code_in(last_email("new@example.com"))
    payload = {"email": "new@example.com", "code": code}
    api.post("/api/auth/verify-email", payload, format="json")

    again = api.post("/api/auth/verify-email", payload, format="json")

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_code"


def test_code_expires_after_ten_minutes(api):
    signup(api)
    code = code_in(last_email("new@example.com"))
    EmailVerification.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))

    response = api.post(
        "/api/auth/verify-email", {"email": "new@example.com", "code": code}, format="json"
    )

    # One answer for every failure (no enumeration): the rule holds, the reason is audited.
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert not User.objects.get().email_verified
    assert AuditEvent.objects.filter(
        action="verification_code_failed", data__reason="expired"
    ).exists()


def test_code_lifetime_is_ten_minutes_and_link_one_day(api):
    signup(api)

    verification = EmailVerification.objects.get()
    assert verification.code_expires_at - verification.created_at == timedelta(minutes=10)
    assert verification.token_expires_at - verification.created_at == timedelta(hours=24)


def test_link_expires_after_a_day(api):
    signup(api)
    token = token_in(link_in(last_email("new@example.com"), "/accounts/verify/"))
    EmailVerification.objects.update(token_expires_at=timezone.now() - timedelta(seconds=1))

    response = api.post("/api/auth/verify-email", {"token": token}, format="json")

    assert response.json()["code"] == "token_expired"


def test_five_wrong_codes_kill_the_code(api):
    signup(api)
    code = code_in(last_email("new@example.com"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = api.post(
            "/api/auth/verify-email", {"email": "new@example.com", "code": wrong}, format="json"
        )
        assert response.json()["code"] == "invalid_code"

    right = api.post(
        "/api/auth/verify-email", {"email": "new@example.com", "code": code}, format="json"
    )

    assert right.status_code == 400
    assert right.json()["code"] == "invalid_code"
    assert not User.objects.get().email_verified
    assert AuditEvent.objects.filter(
        action="verification_code_failed", data__reason="attempts_exceeded"
    ).exists()


def test_resend_kills_the_old_code_and_link(api):
    signup(api)
    first = last_email("new@example.com")
    old_code, old_token = code_in(first), token_in(link_in(first, "/accounts/verify/"))

    response = api.post(
        "/api/auth/resend-verification", {"email": "new@example.com"}, format="json"
    )
    new_code = code_in(last_email("new@example.com"))

    assert response.status_code == 200
    if new_code != old_code:
        stale = api.post(
            "/api/auth/verify-email", {"email": "new@example.com", "code": old_code}, format="json"
        )
        assert stale.json()["code"] == "invalid_code"
    assert (
        api.post("/api/auth/verify-email", {"token": old_token}, format="json").json()["code"]
        == "invalid_token"
    )
    fresh = api.post(
        "/api/auth/verify-email", {"email": "new@example.com", "code": new_code}, format="json"
    )
    assert fresh.status_code == 200


def test_resend_answers_the_same_for_unknown_and_verified_addresses(api, user):
    signup(api)
    mail.outbox.clear()

    answers = [
        api.post("/api/auth/resend-verification", {"email": email}, format="json")
        for email in ("new@example.com", "nobody@example.com", "ada@example.com")
    ]

    assert len({(a.status_code, a.content) for a in answers}) == 1
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_one_users_code_does_not_verify_another(api):
    signup(api, email="a@example.com")
    code_a = code_in(last_email("a@example.com"))
    signup(api, email="b@example.com")
    code_b = code_in(last_email("b@example.com"))
    if code_a == code_b:
        pytest.skip("the two random codes happen to be equal")

    response = api.post(
        "/api/auth/verify-email", {"email": "b@example.com", "code": code_a}, format="json"
    )

    assert response.json()["code"] == "invalid_code"


def test_verify_needs_email_and_code_or_a_token(api):
    response = api.post("/api/auth/verify-email", {"code": "123456"}, format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_codes_come_from_the_secrets_module():
    import inspect

    from accounts import secrets as account_secrets

    source = inspect.getsource(account_secrets.code_new)
    assert "secrets.randbelow" in source
