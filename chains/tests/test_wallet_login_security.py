"""The wallet login is a door like the password login (issue 11, finding 4).

CSRF on the session it starts, the shared login rate limit, the per-account lockout
and the audit trail.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from rest_framework.test import APIClient

from accounts.models import AuditEvent, User
from accounts.services import LOGIN_LOCKOUT_FAILURES, login_failure_record
from accounts.tests.factories import api_for
from chains.models import SiweNonce
from chains.tests.test_siwe import link, sign, siwe_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(owner: User) -> tuple[User, object]:
    account = Account.create()
    assert link(api_for(owner), account).status_code == 201
    return owner, account


def signed_login(client: APIClient, account) -> dict[str, str]:
    nonce = client.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, nonce)
    return {"message": message, "signature": sign(account, message)}


def test_a_cross_site_form_post_gets_no_session_and_spends_no_nonce(linked):
    # Given: the attacker's own linked wallet and a freshly signed message
    _owner, account = linked
    body = signed_login(APIClient(), account)
    victim = APIClient(enforce_csrf_checks=True)

    # When: a page on another site makes the victim's browser post it as a form
    response = victim.post(
        "/api/wallets/login", body, format="multipart", HTTP_ORIGIN="https://evil.example"
    )

    # Then: refused, no session cookie, the nonce is still unused
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert "sessionid" not in response.cookies
    assert victim.get("/api/auth/me").status_code == 401
    assert SiweNonce.objects.get(used_at=None, user=None)


def test_the_wallet_page_gets_tokens_and_a_session(linked):
    owner, account = linked
    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/accounts/login/")  # the page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value

    response = browser.post(
        "/api/wallets/login",
        signed_login(browser, account),
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 200
    assert response.json()["user"]["email"] == owner.email
    assert response.cookies["sessionid"].value
    assert browser.get("/api/auth/me").json()["email"] == owner.email


def test_a_script_without_cookies_gets_tokens_and_no_session(linked):
    _owner, account = linked
    script = APIClient(enforce_csrf_checks=True)

    body = signed_login(APIClient(), account)

    response = script.post("/api/wallets/login", body, format="json")

    assert response.status_code == 200
    assert response.json()["access"] and response.json()["refresh"]
    assert "sessionid" not in response.cookies


def test_a_locked_account_cannot_come_in_through_its_wallet(linked):
    owner, account = linked
    for _ in range(LOGIN_LOCKOUT_FAILURES):
        login_failure_record(email=owner.email)

    response = APIClient().post(
        "/api/wallets/login", signed_login(APIClient(), account), format="json"
    )

    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert AuditEvent.objects.filter(action="login_locked_out", email=owner.email).exists()


def test_wallet_and_password_logins_share_one_rate_limit(linked):
    client = APIClient()
    for n in range(10):
        attempt = {"email": f"x{n}@example.com", "password": "not the password"}
        assert client.post("/api/auth/login", attempt, format="json").status_code == 401

    response = client.post("/api/wallets/login", {"message": "m", "signature": "s"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_bad_signature_is_audited(linked):
    _owner, account = linked
    body = signed_login(APIClient(), account)
    body["signature"] = sign(Account.create(), body["message"])

    response = APIClient().post("/api/wallets/login", body, format="json")

    assert response.status_code == 400
    event = AuditEvent.objects.filter(action="login_failed").latest("pk")
    assert event.data == {"method": "wallet", "code": "signature_invalid"}
