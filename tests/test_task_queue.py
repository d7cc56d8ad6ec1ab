"""The task queue behind ``task_enqueue``: which runner, what crosses, what is restored.

``TASK_QUEUE=celery`` publishes each job as its transaction commits, as plain JSON
with the request's id and client IP, and the worker runs it under them; a broker
that cannot take a job leaves it to this process. Here the broker is kombu's
in-memory transport (the messages are read back) or a refused port; a real worker on
Redis is in tests/test_celery_worker.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.signals import request_finished, request_started
from django.db import transaction

from accounts.models import AuditEvent
from cryptovault import tasks
from cryptovault.celery import app as celery_app
from cryptovault.request_context import client_ip_var, request_id_var
from tests.processes import child_env, run_python

REQUEST_ID = "0b6a4ff4-0000-4000-8000-0000000000aa"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TASK_QUEUE": "rabbit"}, "TASK_QUEUE: expected one of inprocess, celery, got 'rabbit'"),
        (
            {"TASK_QUEUE": "celery", "REDIS_URL": None},
            "REDIS_URL: not set; it is required when TASK_QUEUE is celery",
        ),
    ],
)
def test_a_wrong_task_queue_stops_startup_in_one_line(env, message):
    result = run_python("print('started')", child_env(**env))

    assert result.returncode == 2
    assert result.stderr.strip() == f"CryptoVault configuration error: {message}"


def test_the_default_is_in_process_and_celery_takes_redis_as_its_broker():
    code = (
        "from django.conf import settings\n"
        "from cryptovault.celery import app\n"
        "print(settings.TASK_QUEUE, app.conf.broker_url, app.conf.task_serializer)"
    )
    default = run_python(code, child_env(TASK_QUEUE=None, REDIS_URL=None))
    celery = run_python(code, child_env(TASK_QUEUE="celery", REDIS_URL="redis://127.0.0.1:6379/12"))

    assert default.stdout.split() == ["inprocess", "memory://localhost/", "json"]
    assert celery.stdout.split() == ["celery", "redis://127.0.0.1:6379/12", "json"]


@pytest.fixture
def in_memory_broker(settings) -> Iterator[Any]:
    """TASK_QUEUE=celery, publishing to kombu's in-memory transport; yields a reader of
    the queued messages."""
    settings.TASK_QUEUE = "celery"
    assert celery_app.conf.broker_url.startswith("memory://")
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        queue.clear()

        def read() -> list[Any]:
            found = []
            while queue.qsize():
                message = queue.get(timeout=1)
                message.ack()
                found.append(message)
            return found

        yield read
        queue.clear()
        queue.close()


@pytest.fixture
def origin() -> Iterator[None]:
    tokens = request_id_var.set(REQUEST_ID), client_ip_var.set("203.0.113.7")
    yield
    client_ip_var.reset(tokens[1])
    request_id_var.reset(tokens[0])


@pytest.mark.django_db(transaction=True)
def test_celery_mode_publishes_json_with_the_origin_once_the_transaction_commits(
    in_memory_broker, origin
):
    with transaction.atomic():
        tasks.task_enqueue(noted, word="hello")
        assert in_memory_broker() == []  # nothing leaves before the commit
    with transaction.atomic():
        tasks.task_enqueue(noted, word="rolled back")
        transaction.set_rollback(True)

    [message] = in_memory_broker()

    assert message.content_type == "application/json"
    assert message.headers["task"] == tasks.GENERIC_TASK
    _, kwargs, _ = json.loads(message.body)
    assert kwargs == {
        "function": "tests.test_task_queue.noted",
        "kwargs": {"word": "hello"},
        "origin": [REQUEST_ID, "203.0.113.7"],
    }


@pytest.mark.django_db(transaction=True)
def test_a_job_with_its_own_task_is_published_under_its_name(in_memory_broker, origin):
    from accounts.emails import email_send

    email_send(kind="welcome", to="ada@example.com", context={"name": "Ada"})

    [message] = in_memory_broker()
    assert message.headers["task"] == "accounts.emails.email_deliver"
    _, kwargs, _ = json.loads(message.body)
    assert kwargs["to"] == "ada@example.com" and len(kwargs["key"]) == 32
    assert kwargs["origin"] == [REQUEST_ID, "203.0.113.7"]
    assert mail.outbox == []  # the worker sends it, not this process


def noted(*, word: str) -> None:
    NOTED.append((word, request_id_var.get(), client_ip_var.get()))


NOTED: list[tuple[str, str, str | None]] = []


@pytest.fixture
def refused_broker(settings) -> Iterator[None]:
    """TASK_QUEUE=celery with nothing listening where the broker should be."""
    settings.TASK_QUEUE = "celery"
    before = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"  # discard port: refused
    celery_app._after_fork()  # drop the pooled connections to the old broker
    yield
    celery_app.conf.broker_url = before
    celery_app._after_fork()


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_cannot_take_the_job_leaves_it_to_this_process(
    refused_broker, origin, caplog
):
    NOTED.clear()

    tasks.task_enqueue(noted, word="kept")

    assert NOTED == [("kept", REQUEST_ID, "203.0.113.7")]  # eager in process, under pytest
    assert any("did not take tests.test_task_queue.noted" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_the_worker_restores_the_request_id_and_client_ip(user):
    # A worker has no request of its own: all it knows comes with the message.
    assert request_id_var.get() == "-" and client_ip_var.get() is None
    celery_app.tasks[tasks.GENERIC_TASK].apply(
        kwargs={
            "function": "accounts.services.passwords.password_reset_issue",
            "kwargs": {"email": "nobody@example.com"},
            "origin": [REQUEST_ID, "198.51.100.4"],
        }
    )

    event = AuditEvent.objects.get(action="password_reset_requested")
    assert (event.request_id, event.ip) == (REQUEST_ID, "198.51.100.4")
    assert request_id_var.get() == "-"  # and puts the worker's own back


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_only_the_projects_functions(caplog):
    celery_app.tasks[tasks.GENERIC_TASK].apply(
        kwargs={"function": "subprocess.run", "kwargs": {"args": ["true"]}, "origin": None}
    )

    assert any("Refused to run subprocess.run" in r.getMessage() for r in caplog.records)


def test_the_back_off_doubles_with_jitter_within_its_bounds():
    rule = tasks.Retry(max_retries=5, base_seconds=10)

    delays = [[rule.countdown(n) for _ in range(200)] for n in range(5)]

    for n, seen in enumerate(delays):
        assert 7.5 * 2**n <= min(seen) and max(seen) <= 12.5 * 2**n
        assert len(set(seen)) > 100  # jittered, not one value


def test_the_beat_schedule_names_the_two_periodic_jobs_and_the_worker_has_them():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    celery_app.loader.import_default_modules()

    jobs = {entry["task"]: entry["schedule"] for entry in schedule.values()}

    assert jobs == {
        "chains.tasks.wallet_transactions_follow": 15.0,
        "markets.tasks.ticks_prune_old": timedelta(hours=1).total_seconds(),
    }
    assert set(jobs) <= set(celery_app.tasks)
    assert celery_app.conf.beat_schedule == schedule


@pytest.mark.django_db(transaction=True)
def test_an_argument_that_is_not_json_is_never_lost_either(in_memory_broker, caplog):
    NOTED.clear()

    tasks.task_enqueue(noted, word={"a set"})

    assert in_memory_broker() == []
    assert [word for word, _, _ in NOTED] == [{"a set"}]
    assert any("EncodeError" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_job_queued_in_a_request_is_published_once_the_response_is_sent(in_memory_broker):
    # Published earlier, the worker would start the job beside the answer (and a heavier
    # job for an existing account would show in its time, on a loaded machine).
    request_started.send(sender=None)

    tasks.task_enqueue(noted, word="later")

    assert in_memory_broker() == []
    request_finished.send(sender=None)
    assert [m.headers["task"] for m in in_memory_broker()] == [tasks.GENERIC_TASK]
