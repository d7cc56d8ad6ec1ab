"""No account enumeration (SPEC §2, security.md R1/R6): verify-email, forgot-password and
resend answer a verified address, a pending one and an unknown one alike, page and API.

Time is the bench's business (bench/accounts_enumeration.py); here: status, body, and
for verify-email the same database work for every address.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, EmailVerification, PasswordResetToken, User
from accounts.tests.conftest import code_in, last_email
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

KNOWN, PENDING, UNKNOWN = "ada@example.com", "new@example.com", "nobody@example.com"
ADDRESSES = (KNOWN, PENDING, UNKNOWN)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Each test sends more requests than the per-IP limits allow (tested elsewhere):
    every answer here must come from the flow itself."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def pending_code(api, user) -> str:
    """A verified account (ada), a pending sign-up (new) with its live code, no one else."""
    api.post("/api/auth/signup", {"email": PENDING, "password": PASSWORD}, format="json")
    code = code_in(last_email(PENDING))
    mail.outbox.clear()
    return code


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def api_answer(response) -> tuple[int, dict]:
    body = response.json()
    body.pop("request_id", None)  # differs on every request, by design
    return response.status_code, body


def page_answer(response, email: str) -> tuple[int, str, str]:
    """Status, redirect and page with what legitimately differs blanked out: the address
    typed in, the CSRF token (masked anew every time) and the CSP nonce."""
    html = response.content.decode().replace(email, "EMAIL")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'nonce="[^"]+"', "NONCE", html)
    return response.status_code, response.get("Location", ""), html


def verify_api(api, email: str, code: str):
    return api.post("/api/auth/verify-email", {"email": email, "code": code}, format="json")


@pytest.mark.parametrize("scenario", ["wrong code", "expired code", "after five wrong codes"])
def test_verify_email_api_answers_alike_for_verified_pending_and_unknown(
    api, pending_code, scenario
):
    # Given the pending address's code in the scenario's state
    code = other_than(pending_code) if scenario == "wrong code" else pending_code
    if scenario == "expired code":
        EmailVerification.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    if scenario == "after five wrong codes":
        for email in ADDRESSES:
            for _ in range(5):
                verify_api(api, email, other_than(pending_code))

    # When each address sends it
    answers = [api_answer(verify_api(api, email, code)) for email in ADDRESSES]

    # Then one answer for all: the generic invalid_code
    assert answers[0] == answers[1] == answers[2]
    status, body = answers[0]
    assert status == 400 and body["code"] == "invalid_code"
    assert body["errors"] == {"code": ["This code is not valid or has expired. Ask for a new one."]}
    assert not User.objects.get(email=PENDING).email_verified


@pytest.mark.parametrize("scenario", ["wrong code", "expired code", "after five wrong codes"])
def test_verify_page_answers_alike_for_verified_pending_and_unknown(pending_code, scenario):
    code = other_than(pending_code) if scenario == "wrong code" else pending_code
    if scenario == "expired code":
        EmailVerification.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    if scenario == "after five wrong codes":
        for email in ADDRESSES:
            for _ in range(5):
                Client().post("/accounts/verify/", {"email": email, "code": other_than(code)})

    answers = [
        page_answer(Client().post("/accounts/verify/", {"email": email, "code": code}), email)
        for email in ADDRESSES
    ]

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200
    assert "This code is not valid or has expired. Ask for a new one." in answers[0][2]


def test_verify_email_does_the_same_database_work_for_every_address(api, pending_code):
    work = []
    for email in ADDRESSES:
        with CaptureQueriesContext(connection) as queries:
            verify_api(api, email, other_than(pending_code))
        work.append(len(queries))

    assert work[0] == work[1] == work[2]
    failures = AuditEvent.objects.filter(action="verification_code_failed")
    assert sorted(failures.values_list("email", flat=True)) == sorted(ADDRESSES)


def test_the_code_rules_still_hold_behind_the_one_answer(api, pending_code):
    for _ in range(5):
        verify_api(api, PENDING, other_than(pending_code))

    assert verify_api(api, PENDING, pending_code).status_code == 400
    assert EmailVerification.objects.get().failed_attempts == 5  # stops at the maximum
    assert not User.objects.get(email=PENDING).email_verified


def request_work(send, email: str, jobs):
    """The answer to one request and the queries made while answering it; then the jobs
    it queued are run and waited for."""
    with CaptureQueriesContext(connection) as queries:
        response = send(email)
    jobs.wait_all()
    return response, [query["sql"] for query in queries]


def assert_same_work(work: list[list[str]]) -> None:
    """The request path does the same database work for every address, and none of it is
    looking the address up: that is the job's (so no answer is slower for an account)."""
    assert len(work[0]) == len(work[1]) == len(work[2]), work
    assert not any("accounts_user" in sql for sqls in work for sql in sqls)


def test_forgot_password_api_answers_alike_and_mails_only_the_account(
    api, pending_code, background_jobs
):
    answers, work = [], []
    for email in ADDRESSES:
        response, queries = request_work(
            lambda e: api.post("/api/auth/forgot-password", {"email": e}, format="json"),
            email,
            background_jobs,
        )
        answers.append(api_answer(response))
        work.append(queries)

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200
    assert_same_work(work)
    background_jobs.wait_all()
    # Pending accounts may reset too (they have a password); unknown addresses get nothing.
    assert sorted(m.to[0] for m in mail.outbox) == [KNOWN, PENDING]
    assert PasswordResetToken.objects.count() == 2


def test_forgot_password_page_answers_alike(pending_code, background_jobs):
    answers, work = [], []
    for email in ADDRESSES:
        response, queries = request_work(
            lambda e: Client().post("/accounts/password/forgot/", {"email": e}),
            email,
            background_jobs,
        )
        answers.append(page_answer(response, email))
        work.append(queries)

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200 and "Check your email" in answers[0][2]
    assert_same_work(work)
    background_jobs.wait_all()
    assert sorted(m.to[0] for m in mail.outbox) == [KNOWN, PENDING]


def test_resend_api_answers_alike_and_mails_only_the_pending_address(
    api, pending_code, background_jobs
):
    answers, work = [], []
    for email in ADDRESSES:
        response, queries = request_work(
            lambda e: api.post("/api/auth/resend-verification", {"email": e}, format="json"),
            email,
            background_jobs,
        )
        answers.append(api_answer(response))
        work.append(queries)

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200
    assert_same_work(work)
    background_jobs.wait_all()
    assert [m.to for m in mail.outbox] == [[PENDING]]


def test_resend_page_answers_alike(pending_code, background_jobs):
    answers, work = [], []
    for email in ADDRESSES:
        browser = Client()
        redirect, queries = request_work(
            lambda e, client=browser: client.post("/accounts/verify/resend/", {"email": e}),
            email,
            background_jobs,
        )
        shown = browser.get(redirect["Location"])
        answers.append((redirect.status_code, redirect["Location"], page_answer(shown, email)))
        work.append(queries)

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (302, "/accounts/verify/")
    assert "a new code is on its way" in answers[0][2][2]
    assert_same_work(work)
    background_jobs.wait_all()
    assert [m.to for m in mail.outbox] == [[PENDING]]
