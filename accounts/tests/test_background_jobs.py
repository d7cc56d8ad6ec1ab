"""Forgot-password and resend in the background mode (``TASKS_EAGER`` off, as in
production): the request only hands the address to a job; the job does the lookup, the
writes and the email, under the request's id and client IP."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import mail
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, SentEmail
from accounts.tests.conftest import last_email, link_in
from cryptovault import tasks

pytestmark = pytest.mark.django_db(transaction=True)


def test_forgot_password_runs_in_a_job_that_keeps_the_request_id_and_ip(
    api, user, settings, background_jobs
):
    settings.TRUSTED_PROXY_COUNT = 1

    # When someone asks for a reset link
    with CaptureQueriesContext(connection) as request_queries:
        response = api.post(
            "/api/auth/forgot-password",
            {"email": "ADA@example.com"},
            format="json",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )

    # Then the answer comes without looking the address up...
    assert response.status_code == 200
    assert not any("accounts_user" in query["sql"] for query in request_queries)
    # ...and the job does it, off the request thread, under the request's id and IP
    background_jobs.wait_all()
    assert background_jobs.threads and "MainThread" not in background_jobs.threads
    request_id = response["X-Request-ID"]
    event = AuditEvent.objects.get(action="password_reset_requested")
    assert (event.user, event.ip, event.request_id) == (user, "203.0.113.9", request_id)
    assert link_in(last_email("ada@example.com"), "/accounts/password/reset/")
    assert SentEmail.objects.get(kind="password_reset").request_id == request_id


def test_resend_runs_in_a_job_too(api, background_jobs):
    api.post(
        "/api/auth/signup",
        {"email": "new@example.com", "password": "correct horse battery"},
        format="json",
    )
    background_jobs.wait_all()
    mail.outbox.clear()

    with CaptureQueriesContext(connection) as request_queries:
        response = api.post(
            "/api/auth/resend-verification", {"email": "new@example.com"}, format="json"
        )

    assert response.status_code == 200
    assert not any("accounts_user" in query["sql"] for query in request_queries)
    background_jobs.wait_all()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    resent = AuditEvent.objects.get(action="verification_resent")
    assert resent.request_id == response["X-Request-ID"]


def boom(*, request: Any = None) -> None:
    raise RuntimeError("the job broke")


def test_a_failing_job_is_logged_with_its_request_id(background_jobs, caplog):
    caplog.set_level(logging.ERROR, logger="cryptovault.tasks")
    token = tasks.request_id_var.set("0b6a4ff4-0000-4000-8000-000000000001")
    try:
        tasks.task_enqueue(boom)
    finally:
        tasks.request_id_var.reset(token)

    background_jobs.wait_all()

    failed = [r for r in caplog.records if "the job broke" in str(r.exc_info)]
    assert failed, caplog.text
    assert "boom" in failed[0].getMessage()
    assert failed[0].request_id == "0b6a4ff4-0000-4000-8000-000000000001"


def note(*, into: list[str]) -> None:
    into.append("ran")


def test_a_job_queued_in_a_request_starts_once_the_response_is_sent(background_jobs):
    # Given a request being served
    request_started.send(sender=None)
    ran: list[str] = []

    # When a job is queued (outside a transaction: it commits at once)
    tasks.task_enqueue(note, into=ran)

    # Then it waits for the response, and starts when the response is closed
    assert background_jobs.futures == []
    request_finished.send(sender=None)
    background_jobs.wait_all()
    assert ran == ["ran"]


def test_a_job_queued_outside_a_request_starts_at_once(background_jobs):
    ran: list[str] = []

    tasks.task_enqueue(note, into=ran)

    assert len(background_jobs.futures) == 1
    background_jobs.wait_all()
    assert ran == ["ran"]
