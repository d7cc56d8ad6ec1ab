"""One trip through a real Celery worker on Redis (db 12): a forgot-password request
whose email fails twice at the provider reaches the user exactly once, and the
worker's audit entry and email record carry the request's id and client IP.

The worker runs in this process (``celery.contrib.testing.worker.start_worker``, a
thread), consuming from Redis as ``make prod``'s worker does; the request is served
by Django's test client with ``TASK_QUEUE=celery``. Skipped, saying so, when Redis
cannot be reached.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import AuditEvent, SentEmail
from accounts.tests.test_email_retries import FLAKY, FlakyBackend
from cryptovault import tasks
from cryptovault.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_DB = 12  # this test's own Redis database; flushed before use


def broker_url() -> str:
    """REDIS_URL's server (or the local default), database 12."""
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))


@pytest.fixture
def worker(settings, monkeypatch) -> Iterator[None]:
    url = broker_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {url} ({error}): no real worker to test")
    settings.TASK_QUEUE = "celery"
    # Retries a fraction of a second apart: the rule is the production one, only faster.
    fast = tasks.Retry(max_retries=5, base_seconds=0.2)
    rules = tasks.RetryRules(celery=fast, in_process=fast)
    monkeypatch.setitem(tasks._RULES, "accounts.emails.email_deliver", rules)
    before = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    celery_app._after_fork()  # drop pooled connections to the previous broker
    try:
        with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING"):
            yield
    finally:
        celery_app.conf.broker_url = before
        celery_app._after_fork()


def test_a_real_worker_sends_once_after_two_failures_under_the_requests_origin(
    user, settings, worker
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures, FlakyBackend.calls = 2, 0

    response = APIClient().post(
        "/api/auth/forgot-password",
        {"email": "ada@example.com"},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 200
    assert mail.outbox == []  # the request only published the job
    deadline = time.monotonic() + 30
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # time enough for a duplicate to show, if any were coming

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert FlakyBackend.calls == 3
    request_id = response["X-Request-ID"]
    record = SentEmail.objects.get()
    assert (record.kind, record.status, record.attempts) == ("password_reset", "sent", 3)
    assert record.request_id == request_id
    event = AuditEvent.objects.get(action="password_reset_requested")
    assert (event.user, event.ip, event.request_id) == (user, "203.0.113.9", request_id)
