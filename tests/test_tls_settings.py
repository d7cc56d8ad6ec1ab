"""TLS at the entry, Django's side (issue 15, item 7).

nginx terminates TLS and tells Django the scheme in ``X-Forwarded-Proto``; Django
trusts that header only behind a proxy it counts (``TRUSTED_PROXY_COUNT``). Over
https it sends HSTS and sets only Secure cookies (the session one ``__Host-``
prefixed, HttpOnly, SameSite), and every response carries the headers MDN's HTTP
Observatory rewards (``bench/observatory.py`` runs the scanner itself against
``make prod``). Settings are read once per process, so production is a child process.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import override_settings

from cryptovault.security_headers import CrossOriginResourcePolicyMiddleware
from tests.processes import PRODUCTION_ENV, child_env, run_python

# One GET of the home page as nginx forwards it (X-Forwarded-For appended, the scheme
# the client used in X-Forwarded-Proto), and with LOGIN a login, reported as JSON.
ENTRY_PROBE = """
import json
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from accounts.models import User

def through_nginx(scheme):
    return {"HTTP_HOST": "cryptovault.example", "HTTP_X_FORWARDED_PROTO": scheme,
            "HTTP_X_FORWARDED_FOR": "203.0.113.9", "REMOTE_ADDR": "127.0.0.1"}

def cookies(answer):
    return {name: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
                   "samesite": morsel["samesite"], "path": morsel["path"],
                   "domain": morsel["domain"]}
            for name, morsel in answer.cookies.items()}

client = Client()
https_page = client.get("/", **through_nginx("https"))
http_page = client.get("/", **through_nginx("http"))
answer = {
    "https": [https_page.status_code, https_page.get("Strict-Transport-Security")],
    "http": [http_page.status_code, http_page.get("Location"),
             http_page.get("Strict-Transport-Security")],
}
if LOGIN:
    call_command("migrate", verbosity=0)
    PASSWORD = "correct horse battery"  # pragma: allowlist secret
    User.objects.create_user(email="t@example.com", password=PASSWORD,
                             email_verified_at=timezone.now())
    login_form = client.get("/accounts/login/", **through_nginx("https"))
    login = client.post("/accounts/login/", {"email": "t@example.com",
                        "password": PASSWORD}, **through_nginx("https"))
    answer["login"] = login.status_code
    answer["cookies"] = {**cookies(login_form), **cookies(login)}
print(json.dumps(answer))
"""


@pytest.fixture(scope="module", autouse=True)
def _static_collected() -> None:
    """Pages with DEBUG off name their CSS and scripts through collectstatic's manifest
    (what make prod runs first): a fresh clone has none, and every page would be a 500."""
    env = child_env(**{**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///:memory:"})
    collected = run_python(
        "from django.core.management import call_command\n"
        "call_command('collectstatic', interactive=False, verbosity=0)\n",
        env,
    )
    assert collected.returncode == 0, collected.stderr


def probe(*, login: bool = True, **env: str | None) -> dict[str, Any]:
    overrides = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///:memory:", **env}
    result = run_python(f"LOGIN = {login}\n{ENTRY_PROBE}", child_env(**overrides))
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


@pytest.fixture(scope="module")
def behind_nginx() -> dict[str, Any]:
    """Production behind make prod's nginx over TLS: one trusted proxy, secure cookies."""
    return probe(TRUSTED_PROXY_COUNT="1", SECURE_COOKIES=None, SECURE_SSL_REDIRECT=None)


def test_behind_the_tls_proxy_django_sees_https_and_sends_hsts(behind_nginx):
    assert behind_nginx["https"] == [200, "max-age=31536000; includeSubDomains; preload"]


def test_a_request_that_reached_the_proxy_over_http_is_sent_to_https(behind_nginx):
    # HSTS is never sent over plain HTTP (a browser would ignore it there anyway).
    assert behind_nginx["http"] == [301, "https://cryptovault.example/", None]


def test_cookies_set_over_the_proxy_are_secure_and_same_site(behind_nginx):
    assert behind_nginx["login"] == 302
    cookies = behind_nginx["cookies"]
    assert set(cookies) >= {"csrftoken", "__Host-sessionid"}
    # The "__Host-" prefix binds the session to this host and path "/": Secure, no Domain.
    assert cookies["__Host-sessionid"] == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
        "domain": "",
    }
    # Page scripts read the CSRF token, so it cannot be HttpOnly; it is Secure and Lax.
    assert cookies["csrftoken"]["secure"] is True
    assert cookies["csrftoken"]["samesite"] == "Lax"


def test_every_cookie_passes_the_observatory_cookie_rules(behind_nginx):
    # Its cookie test: every cookie Secure; a name with "sess" or "login" HttpOnly; one
    # with "csrf" has SameSite (SameSite=None would need Secure; none here uses None).
    for name, cookie in behind_nginx["cookies"].items():
        assert cookie["secure"], name
        assert cookie["samesite"] in {"Lax", "Strict"}, name
        if "sess" in name.lower() or "login" in name.lower():
            assert cookie["httponly"], name


def test_a_forged_forwarded_proto_is_ignored_without_a_trusted_proxy():
    # No proxy counted: X-Forwarded-Proto came from the client, so the request is plain
    # HTTP whatever it claims, and it is redirected (no HSTS, no page).
    answer = probe(
        login=False, TRUSTED_PROXY_COUNT=None, SECURE_COOKIES=None, SECURE_SSL_REDIRECT=None
    )

    assert answer["https"] == [301, None]


def test_the_plain_http_entry_keeps_cookies_a_browser_can_send_back():
    # make prod without TLS sets SECURE_COOKIES and SECURE_SSL_REDIRECT off: a browser on
    # http://127.0.0.1 must still be able to log in, so no Secure or __Host- cookies.
    answer = probe(TRUSTED_PROXY_COUNT="1", SECURE_COOKIES="false", SECURE_SSL_REDIRECT="false")

    assert answer["http"] == [200, None, None]
    assert answer["login"] == 302
    assert answer["cookies"]["sessionid"]["secure"] is False
    assert answer["cookies"]["sessionid"]["httponly"] is True
    assert "__Host-sessionid" not in answer["cookies"]


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/markets/", "/accounts/login/", "/api/", "/api/docs/"])
def test_csp_refuses_every_kind_it_does_not_list(client, path):
    directives = _directives(client.get(path)["Content-Security-Policy"])

    # default-src 'none' alone (the Observatory's best CSP result), and each kind the
    # pages use listed, none with 'unsafe-inline' or 'unsafe-eval'.
    assert directives["default-src"] == ["'none'"]
    for kind in ("script-src", "style-src", "img-src", "font-src", "connect-src"):
        assert "'self'" in directives[kind], kind
        assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(directives[kind]), kind
    assert directives["form-action"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/api/", "/api/does-not-exist", "/health/live", "/no-such-page/"]
)
def test_every_response_says_other_sites_may_not_embed_it(client, path):
    assert client.get(path)["Cross-Origin-Resource-Policy"] == "same-origin"


def test_corp_keeps_a_policy_a_view_chose_and_can_be_turned_off():
    middleware = CrossOriginResourcePolicyMiddleware(lambda request: HttpResponse())
    request = HttpRequest()
    chosen = HttpResponse("shared")
    chosen["Cross-Origin-Resource-Policy"] = "cross-origin"

    kept = middleware.process_response(request, chosen)
    with override_settings(SECURE_CROSS_ORIGIN_RESOURCE_POLICY=""):
        plain = middleware.process_response(request, HttpResponse())

    assert kept["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Cross-Origin-Resource-Policy" not in plain
