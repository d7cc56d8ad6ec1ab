"""Emails through a flaky provider: retried with back-off, sent once, failures shown.

The same cases in both runners (``TASK_QUEUE``): in process (the embedded default,
jobs eager under pytest) and on Celery, its tasks run eagerly (retries included,
their countdowns skipped); tests/test_celery_worker.py runs a real worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from accounts import emails
from accounts.models import SentEmail, User
from accounts.tests.factories import PASSWORD
from cryptovault import tasks
from cryptovault.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)

FLAKY = "accounts.tests.test_email_retries.FlakyBackend"


class FlakyBackend(EmailBackend):
    """Django's test backend behind a provider that refuses the first ``failures``
    sends (every send when ``failures`` is None)."""

    failures: int | None = 0
    calls = 0

    def send_messages(self, messages: Any) -> int:
        FlakyBackend.calls += 1
        if FlakyBackend.failures is None or FlakyBackend.calls <= FlakyBackend.failures:
            raise ConnectionRefusedError(f"provider down (call {FlakyBackend.calls})")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings) -> Iterator[type[FlakyBackend]]:
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures, FlakyBackend.calls = 0, 0
    yield FlakyBackend


@pytest.fixture(params=["inprocess", "celery"])
def task_queue(request, settings) -> Iterator[str]:
    """Each test once per runner; on Celery the task runs eagerly in the test."""
    settings.TASK_QUEUE = request.param
    celery_app.conf.task_always_eager = request.param == "celery"
    yield str(request.param)
    celery_app.conf.task_always_eager = False


def sign_up(api: Any, email: str = "new@example.com") -> Any:
    return api.post("/api/auth/signup", {"email": email, "password": PASSWORD}, format="json")


def test_a_send_that_fails_twice_then_succeeds_sends_exactly_one_email(api, flaky, task_queue):
    flaky.failures = 2

    response = sign_up(api)

    assert response.status_code == 201
    assert flaky.calls == 3
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    record = SentEmail.objects.get()
    assert (record.kind, record.status, record.attempts) == ("verification", "sent", 3)
    assert record.error == ""
    assert record.request_id == response["X-Request-ID"]


def test_a_send_that_always_fails_is_recorded_failed_after_the_last_retry(
    api, flaky, task_queue, caplog
):
    flaky.failures = None
    rule = emails.EMAIL_RETRY if task_queue == "celery" else emails.EMAIL_RETRY_IN_PROCESS

    response = sign_up(api)

    assert response.status_code == 201
    assert User.objects.filter(email="new@example.com").exists()  # nothing lost
    assert mail.outbox == []
    record = SentEmail.objects.get()  # one row for all the attempts
    assert record.status == SentEmail.Status.FAILED
    assert record.attempts == rule.max_retries + 1 == flaky.calls
    assert f"provider down (call {flaky.calls})" in record.error  # the last one
    assert record.request_id == response["X-Request-ID"]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("verification email" in line and "attempts" in line for line in errors)


def test_the_admin_lists_failed_emails_with_their_attempts(api, client, staff_user, flaky):
    flaky.failures = None
    sign_up(api, "lost@example.com")
    flaky.failures = 0
    sign_up(api, "fine@example.com")
    client.force_login(staff_user)

    failed = client.get("/admin/accounts/sentemail/?status__exact=failed")

    assert failed.status_code == 200
    page = failed.content.decode()
    assert "lost@example.com" in page and "fine@example.com" not in page
    assert "ConnectionRefusedError: provider down" in page
    assert ">4<" in page  # attempts: the first and three retries in process


def test_a_retry_is_recorded_as_retrying_with_its_error(flaky, settings):
    flaky.failures = 1
    attempt = tasks.Attempt(number=1, last=False)
    args: dict[str, Any] = {"key": "k1", "kind": "welcome", "to": "a@example.com", "context": {}}

    with pytest.raises(ConnectionRefusedError):
        emails.email_deliver(**args, attempt=attempt)

    record = SentEmail.objects.get(key="k1")
    assert (record.status, record.attempts) == ("retrying", 1)
    assert "provider down (call 1)" in record.error
    emails.email_deliver(**args, attempt=tasks.Attempt(number=2, last=False))
    record.refresh_from_db()
    assert (record.status, record.attempts, record.error) == ("sent", 2, "")


def test_a_message_delivered_again_after_its_send_sends_nothing(flaky):
    args: dict[str, Any] = {"key": "k2", "kind": "welcome", "to": "a@example.com", "context": {}}
    emails.email_deliver(**args, attempt=tasks.Attempt(number=1, last=False))

    # The broker hands the same message over again (a worker lost before its ack).
    emails.email_deliver(**args, attempt=tasks.Attempt(number=1, last=False))

    assert len(mail.outbox) == 1 and flaky.calls == 1
    assert SentEmail.objects.get(key="k2").status == "sent"


def test_a_record_that_cannot_be_saved_after_the_send_never_causes_a_resend(
    api, flaky, task_queue, monkeypatch, caplog
):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(SentEmail.objects, "update_or_create", broken)

    response = sign_up(api)

    assert response.status_code == 201
    assert len(mail.outbox) == 1 and flaky.calls == 1  # sent, and not retried
    assert any("Recording the verification email" in r.getMessage() for r in caplog.records)


def test_in_process_retries_wait_the_back_off_on_the_pool_thread(
    background_jobs, monkeypatch, settings
):
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures, FlakyBackend.calls = 2, 0
    waits: list[float] = []
    monkeypatch.setattr(tasks.time, "sleep", waits.append)

    emails.email_send(kind="welcome", to="ada@example.com", context={"name": "Ada"})
    background_jobs.wait_all()

    assert len(waits) == 2 and 0.375 <= waits[0] <= 0.625 and 0.75 <= waits[1] <= 1.25
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get().attempts == 3
