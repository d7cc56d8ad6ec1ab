"""Sign-In with Ethereum: the happy path and every rejection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory, api_for
from chains.models import LinkedWallet

pytestmark = pytest.mark.django_db
DOMAIN = "testserver"


def siwe_message(address: str, nonce: str, **overrides: str) -> str:
    now = datetime.now(UTC)
    fields = {
        "domain": DOMAIN,
        "uri": f"http://{DOMAIN}/wallet/",
        "chain_id": "1",
        "issued_at": now.isoformat().replace("+00:00", "Z"),
        "expiration": (now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        **overrides,
    }
    return (
        f"{fields['domain']} wants you to sign in with your Ethereum account:\n{address}\n\n"
        "Link this wallet to your CryptoVault account.\n\n"
        f"URI: {fields['uri']}\nVersion: 1\nChain ID: {fields['chain_id']}\nNonce: {nonce}\n"
        f"Issued At: {fields['issued_at']}\nExpiration Time: {fields['expiration']}"
    )


def sign(account, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix(
        "0x"
    )


def link(api: APIClient, account, **overrides):
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, overrides.pop("nonce", nonce), **overrides)
    signature = overrides.pop("signature", None) or sign(account, message)
    return api.post("/api/wallets", {"message": message, "signature": signature}, format="json")


def test_link_list_and_unlink(owner):
    api, account = api_for(owner), Account.create()

    nonce = api.post("/api/wallets/nonce").json()
    assert len(nonce["nonce"]) == 32 and nonce["expires_at"]
    response = link(api, account)

    assert response.status_code == 201
    assert response.json()["address"] == account.address
    assert response.json()["chain_id"] == 1
    assert [w["address"] for w in api.get("/api/wallets").json()] == [account.address]
    assert AuditEvent.objects.filter(action="wallet_linked", user=owner).exists()

    assert api.delete(f"/api/wallets/{account.address.lower()}").status_code == 204
    assert api.get("/api/wallets").json() == []
    assert AuditEvent.objects.filter(action="wallet_unlinked", user=owner).exists()
    assert api.delete(f"/api/wallets/{account.address}").status_code == 404


def test_a_nonce_works_once(owner):
    api, account = api_for(owner), Account.create()
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, nonce)
    body = {"message": message, "signature": sign(account, message)}

    assert api.post("/api/wallets", body, format="json").status_code == 201
    again = api.post("/api/wallets", body, format="json")
    assert again.status_code == 400 and again.json()["code"] == "nonce_invalid"


def test_an_expired_nonce_is_refused(owner):
    from chains.models import SiweNonce

    api, account = api_for(owner), Account.create()
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    SiweNonce.objects.filter(nonce=nonce).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    message = siwe_message(account.address, nonce)

    response = api.post(
        "/api/wallets", {"message": message, "signature": sign(account, message)}, format="json"
    )
    assert response.json()["code"] == "nonce_invalid"


def test_another_users_nonce_is_refused(owner):
    other = UserFactory.create(email="other@example.com", name="X", unverified=True)
    nonce = api_for(other).post("/api/wallets/nonce").json()["nonce"]
    account = Account.create()
    message = siwe_message(account.address, nonce)

    response = api_for(owner).post(
        "/api/wallets", {"message": message, "signature": sign(account, message)}, format="json"
    )
    assert response.json()["code"] == "nonce_invalid"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"domain": "evil.example"}, "domain_mismatch"),
        ({"uri": "https://evil.example/wallet/"}, "uri_mismatch"),
        ({"chain_id": "31337"}, "chain_unsupported"),
        ({"expiration": "2020-01-01T00:00:00Z"}, "expired"),
        ({"issued_at": "2020-01-01T00:00:00Z"}, "expired"),
        ({"issued_at": "2026-02-30T00:00:00Z"}, "siwe_invalid"),  # no such day
        ({"expiration": "2026-01-01T25:00:00Z"}, "siwe_invalid"),  # no such hour
    ],
)
def test_rejections(owner, overrides, code):
    response = link(api_for(owner), Account.create(), **overrides)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not LinkedWallet.objects.exists()


def test_a_signature_by_another_key_is_refused(owner):
    api, account, impostor = api_for(owner), Account.create(), Account.create()
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, nonce)

    response = api.post(
        "/api/wallets", {"message": message, "signature": sign(impostor, message)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "signature_invalid"


def test_a_garbled_message_or_signature_is_a_400(owner):
    api = api_for(owner)
    assert (
        api.post(
            "/api/wallets", {"message": "hello", "signature": "0x" + "1" * 130}, format="json"
        ).json()["code"]
        == "siwe_invalid"
    )
    bad = api.post("/api/wallets", {"message": "hello", "signature": "0x12"}, format="json")
    assert bad.status_code == 400 and "signature" in bad.json()["errors"]


def test_an_address_belongs_to_one_user(owner):
    other = UserFactory.create(email="other@example.com", name="X", unverified=True)
    account = Account.create()
    assert link(api_for(owner), account).status_code == 201

    response = link(api_for(other), account)

    assert response.status_code == 409
    assert response.json()["code"] == "address_taken"
    assert LinkedWallet.objects.get().user == owner


def test_wallet_endpoints_need_a_login(client):
    assert client.get("/api/wallets").status_code == 401
    assert client.post("/api/wallets", {}).status_code == 401


def test_log_in_with_a_linked_wallet(owner, client):
    account = Account.create()
    assert link(api_for(owner), account).status_code == 201
    visitor = APIClient()

    nonce = visitor.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, nonce)
    response = visitor.post(
        "/api/wallets/login",
        {"message": message, "signature": sign(account, message)},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "owner@example.com" and body["access"] and body["refresh"]
    assert visitor.get("/api/auth/me").json()["email"] == "owner@example.com"  # the session too
    replay = visitor.post(
        "/api/wallets/login",
        {"message": message, "signature": sign(account, message)},
        format="json",
    )
    assert replay.json()["code"] == "nonce_invalid"


def test_an_unlinked_wallet_cannot_log_in(db):
    visitor, account = APIClient(), Account.create()
    nonce = visitor.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, nonce)

    response = visitor.post(
        "/api/wallets/login",
        {"message": message, "signature": sign(account, message)},
        format="json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "wallet_not_linked"


def test_a_users_linking_nonce_cannot_log_in(owner):
    account = Account.create()
    assert link(api_for(owner), account).status_code == 201
    nonce = api_for(owner).post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address, nonce)

    response = APIClient().post(
        "/api/wallets/login",
        {"message": message, "signature": sign(account, message)},
        format="json",
    )
    assert response.json()["code"] == "nonce_invalid"


def reordered(message: str, first: str, second: str) -> str:
    """The message with two of its field lines swapped."""
    lines = message.split("\n")
    a = next(n for n, line in enumerate(lines) if line.startswith(f"{first}: "))
    b = next(n for n, line in enumerate(lines) if line.startswith(f"{second}: "))
    lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines)


def post_signed(api: APIClient, path: str, account, message: str):
    return api.post(path, {"message": message, "signature": sign(account, message)}, format="json")


@pytest.mark.parametrize(("first", "second"), [("Chain ID", "Nonce"), ("URI", "Version")])
def test_fields_out_of_order_are_refused(owner, first, second):
    # Given: a message whose lines a wallet would show in another order than EIP-4361's
    api, account = api_for(owner), Account.create()
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    message = reordered(siwe_message(account.address, nonce), first, second)

    # When: it is signed for real and posted
    response = post_signed(api, "/api/wallets", account, message)

    # Then: refused as malformed, nothing linked, the nonce still usable
    assert response.status_code == 400
    assert response.json()["code"] == "siwe_invalid"
    assert not LinkedWallet.objects.exists()
    assert link(api, account, nonce=nonce).status_code == 201


@pytest.mark.parametrize(
    "duplicate", ["Chain ID: 137", "Expiration Time: 2099-01-01T00:00:00Z", "Nonce: abcdefgh1"]
)
def test_a_duplicated_field_is_refused(owner, duplicate):
    """The last copy used to win: a wallet showing the first would sign another meaning."""
    api, account = api_for(owner), Account.create()
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    label = duplicate.split(": ")[0]
    lines = siwe_message(account.address, nonce).split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith(f"{label}: "))
    message = "\n".join([*lines[: at + 1], duplicate, *lines[at + 1 :]])

    response = post_signed(api, "/api/wallets", account, message)

    assert response.status_code == 400
    assert response.json()["code"] == "siwe_invalid"
    assert not LinkedWallet.objects.exists()


def test_the_wallet_login_refuses_fields_out_of_order(owner):
    account = Account.create()
    assert link(api_for(owner), account).status_code == 201
    visitor = APIClient()
    nonce = visitor.post("/api/wallets/nonce").json()["nonce"]
    message = reordered(siwe_message(account.address, nonce), "Issued At", "Nonce")

    response = post_signed(visitor, "/api/wallets/login", account, message)

    assert response.status_code == 400
    assert response.json()["code"] == "siwe_invalid"
    assert visitor.get("/api/auth/me").status_code == 401


def test_a_domain_with_the_requests_scheme_links(owner):
    """The domain may carry a scheme (EIP-4361); it must then be the request's (http here)."""
    response = link(api_for(owner), Account.create(), domain=f"http://{DOMAIN}")

    assert response.status_code == 201


def test_a_domain_with_another_scheme_is_refused(owner):
    response = link(api_for(owner), Account.create(), domain=f"https://{DOMAIN}")

    assert response.status_code == 400
    assert response.json()["code"] == "domain_mismatch"


def test_a_lowercase_address_still_links(owner):
    """Wallets report lowercase addresses and the wallet page signs that form."""
    api, account = api_for(owner), Account.create()
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message(account.address.lower(), nonce)

    response = post_signed(api, "/api/wallets", account, message)

    assert response.status_code == 201
    assert response.json()["address"] == account.address


def test_a_mixed_case_address_that_is_not_eip55_is_refused(owner):
    account = Account.create()
    while account.address[2:].isupper() or account.address[2:].islower():
        account = Account.create()  # a mix of cases, so that flipped it is still mixed
    api = api_for(owner)
    nonce = api.post("/api/wallets/nonce").json()["nonce"]
    message = siwe_message("0x" + account.address[2:].swapcase(), nonce)

    response = post_signed(api, "/api/wallets", account, message)

    assert response.status_code == 400
    assert response.json()["code"] == "siwe_invalid"
