"""Background jobs: ``task_enqueue(fn, **kwargs)`` runs ``fn`` off the request.

Why: some answers must not depend on the work behind them. Forgot-password and
resend-verification look an address up, write tokens and send mail only when it has
an account; done in the request, that work shows in the answer time and tells an
attacker which addresses exist. Handed to a job, every answer takes the same time.
Emails (slow SMTP or provider calls) leave the same way.

Two runners behind the one entry point, as ``TASK_QUEUE`` says (services never
import Celery):

- ``inprocess`` (the embedded default, ``make run``): a small thread pool in this
  process. A job queued while serving a request starts once the response is sent
  (``request_finished``): started earlier, its thread would compete with that answer
  for the interpreter, and a heavier job (an email for an existing account) would make
  that answer measurably slower, which is what the runner is here to prevent
  (bench/accounts_enumeration.py measures it). Jobs queued but not started when the
  process exits are finished first; a killed process loses them.
- ``celery`` (``make prod``): the job is published to Redis (after the response too,
  for the same reason: the worker would start it at once, beside the answer, and the
  publish itself stays out of the answer's time), and the worker
  (``cryptovault.celery``) runs it; a message is acknowledged only once its job has
  run, so a killed worker loses nothing. A broker that cannot take the message costs
  nothing either: the job then runs in process, logged.

The contract, the same in both:

- a job runs once the current transaction commits (never for a rolled-back one);
- it runs with the request context (id and client IP) of the request that queued it,
  carried with the job (``Origin``; to the worker as a task argument), so its log lines
  and audit entries point back to that request and its client;
- keyword arguments only, plain JSON data, and ``fn`` a module-level function;
- a job declared with ``@job(retry=...)`` that raises is tried again after an
  exponential back-off (``Retry``: one rule for both runners, a few seconds apart in
  process, minutes apart on Celery); it is told which attempt it is (``Attempt``) so
  its last one can record the failure for operators (accounts.emails does);
- an exception a job does not handle is logged with the request id, never lost
  silently; an in-process job's database connections are closed when it ends;
- ``TASKS_EAGER`` (on under pytest) runs an in-process job in the committing thread
  instead, retries without waiting, so tests see its effects right after the request.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from celery import Task
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections, transaction
from django.utils.module_loading import import_string
from kombu.exceptions import EncodeError, OperationalError

from cryptovault.celery import app as celery_app
from cryptovault.request_context import (
    client_ip_var,
    current_client_ip,
    current_request_id,
    new_request_id,
    request_id_var,
)

logger = logging.getLogger(__name__)

WORKERS = 4  # jobs wait on the database or a mail server, not on the CPU
GENERIC_TASK = "cryptovault.job"  # the Celery task that runs an undeclared function
# Only functions of the project run from a message: a message names its function, and
# Redis is not a place from which to call anything importable.
JOB_PACKAGES = ("accounts.", "markets.", "trading.", "chains.", "cryptovault.")
# Publishing waits at most about a second for a broker that does not answer.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()
_random = secrets.SystemRandom()


class Origin(NamedTuple):
    """The request context a job was queued in, restored while it runs."""

    request_id: str
    client_ip: str | None


@dataclass(frozen=True)
class Retry:
    """The retry rule of a job, used by both runners: after the n-th failure (n from 0),
    wait ``base_seconds * 2**n``, give or take ``jitter`` of it (failures of many jobs
    at once do not come back at once), up to ``max_retries`` times."""

    max_retries: int
    base_seconds: float
    jitter: float = 0.25

    def countdown(self, failures_before: int) -> float:
        delay = self.base_seconds * 2**failures_before
        return delay * _random.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass(frozen=True)
class Attempt:
    """Which try of a retrying job this is: ``number`` from 1; ``last`` when no retry
    follows a failure (the job records its failure then instead of raising)."""

    number: int
    last: bool


@dataclass(frozen=True)
class RetryRules:
    celery: Retry
    in_process: Retry


_RULES: dict[str, RetryRules] = {}
F = TypeVar("F", bound=Callable[..., object])


def job_name(fn: Callable[..., object]) -> str:
    """The dotted path a job is known by, to Celery and in log lines."""
    return f"{fn.__module__}.{fn.__qualname__}"


def job(*, retry: Retry | None = None, retry_in_process: Retry | None = None) -> Callable[[F], F]:
    """Declare ``fn`` a job with its own Celery task (named by its dotted path); with
    ``retry``, a failure is tried again (``fn`` then takes ``attempt: Attempt``)."""

    def declare(fn: F) -> F:
        name = job_name(fn)
        if retry is not None:
            _RULES[name] = RetryRules(celery=retry, in_process=retry_in_process or retry)

        def run(task: Task, *, origin: list[Any] | None = None, **kwargs: Any) -> None:
            _celery_run(task, fn, kwargs, origin)

        run.__name__, run.__doc__ = fn.__name__, fn.__doc__
        celery_app.task(name=name, bind=True, acks_late=True)(run)
        return fn

    return declare


def task_enqueue(fn: Callable[..., object], /, **kwargs: Any) -> None:
    """Run ``fn(**kwargs)`` in the background after the current transaction commits."""
    origin = Origin(current_request_id(), current_client_ip())

    def start() -> None:
        if settings.TASK_QUEUE == "celery":
            _after_the_response(lambda: _publish(fn, kwargs, origin))
        else:
            _start_in_process(fn, kwargs, origin)

    transaction.on_commit(start)


def _start_in_process(fn: Callable[..., object], kwargs: dict[str, Any], origin: Origin) -> None:
    if settings.TASKS_EAGER:
        _run(fn, kwargs, origin, eager=True)
    else:
        _after_the_response(lambda: _submit(fn, kwargs, origin))


# --- Celery ----------------------------------------------------------------------


def _publish(fn: Callable[..., object], kwargs: dict[str, Any], origin: Origin) -> None:
    """Send the job to the broker; run it here if the broker cannot take it."""
    name = job_name(fn)
    if name in celery_app.tasks:
        task, payload = celery_app.tasks[name], {**kwargs, "origin": list(origin)}
    else:
        task = celery_app.tasks[GENERIC_TASK]
        payload = {"function": name, "kwargs": kwargs, "origin": list(origin)}
    try:
        task.apply_async(kwargs=payload, retry=True, retry_policy=PUBLISH_RETRY)
    # The broker is away or refused it, or an argument is not JSON (a bug, logged here).
    except (OperationalError, EncodeError, OSError) as error:
        logger.warning(
            "The task queue did not take %s (%s: %s); running it in this process",
            name,
            type(error).__name__,
            error,
            extra={"request_id": origin.request_id},
        )
        _start_in_process(fn, kwargs, origin)


@celery_app.task(name=GENERIC_TASK, bind=True, acks_late=True)
def _generic_job(
    task: Task, *, function: str, kwargs: dict[str, Any], origin: list[Any] | None = None
) -> None:
    """Run a function queued without a task of its own (``function``: its dotted path)."""
    if not function.startswith(JOB_PACKAGES):
        logger.error("Refused to run %s from the task queue: not a CryptoVault function", function)
        return
    _celery_run(task, import_string(function), kwargs, origin)


def _celery_run(
    task: Task, fn: Callable[..., object], kwargs: dict[str, Any], origin: list[Any] | None
) -> None:
    """One attempt in the worker; a failure that may be retried is sent back to the
    broker with its countdown (the same message: same arguments, same origin)."""
    rules = _RULES.get(job_name(fn))
    rule = rules.celery if rules else None
    restored = Origin(*origin) if origin else Origin(new_request_id(), None)
    delay = _attempt(fn, kwargs, restored, task.request.retries + 1, rule)
    if delay is not None and rule is not None:
        raise task.retry(countdown=delay, max_retries=rule.max_retries)


# --- The one attempt, for both runners --------------------------------------------


@contextmanager
def _restored(origin: Origin) -> Iterator[None]:
    tokens = (request_id_var.set(origin.request_id), client_ip_var.set(origin.client_ip))
    try:
        yield
    finally:
        client_ip_var.reset(tokens[1])
        request_id_var.reset(tokens[0])


def _attempt(
    fn: Callable[..., object],
    kwargs: dict[str, Any],
    origin: Origin,
    number: int,
    rule: Retry | None,
) -> float | None:
    """Run attempt ``number`` of a job under its origin: None when it is over (done, or
    failed for good and logged), else the seconds to wait before the next attempt."""
    last = rule is None or number > rule.max_retries
    with _restored(origin):
        try:
            if rule is None:
                fn(**kwargs)
            else:
                fn(attempt=Attempt(number=number, last=last), **kwargs)
        except Exception:
            # Named explicitly: the line must point at the request even if read elsewhere.
            extra = {"request_id": origin.request_id}
            if rule is not None and not last:
                delay = rule.countdown(number - 1)
                logger.warning(
                    "Task %s failed (attempt %d); trying again in %.1f s",
                    job_name(fn),
                    number,
                    delay,
                    exc_info=True,
                    extra=extra,
                )
                return delay
            logger.exception("Task %s failed", job_name(fn), extra=extra)
    return None


# --- In process ---------------------------------------------------------------------

# Starts (a submit to the pool, or a publish) waiting for the current request's response
# to be sent; None outside a request. A context variable follows the request across
# asgiref's thread hops under ASGI.
_after_response: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "tasks_after_response", default=None
)


def _after_the_response(start: Callable[[], None]) -> None:
    """``start()`` once the response being served is sent; now outside a request."""
    waiting = _after_response.get()
    if waiting is not None:
        waiting.append(start)
    else:
        start()


def _submit(fn: Callable[..., object], kwargs: dict[str, Any], origin: Origin) -> None:
    _executor().submit(_run, fn, kwargs, origin, eager=False)


def _start_waiting_jobs() -> None:
    waiting = _after_response.get()
    while waiting:  # a start may add one (a publish the broker refused, run here)
        start = waiting.pop(0)
        try:
            start()
        except Exception:  # one broken start must not keep the others back
            logger.exception("Starting a background job failed")


def _on_request_started(**kwargs: Any) -> None:
    _start_waiting_jobs()  # none expected; never dropped if a response was not closed
    _after_response.set([])


def _on_request_finished(**kwargs: Any) -> None:
    """Sent when the response is closed: the server has written it (WSGI and ASGI)."""
    _start_waiting_jobs()
    _after_response.set(None)


request_started.connect(_on_request_started, dispatch_uid="cryptovault.tasks.started")
request_finished.connect(_on_request_finished, dispatch_uid="cryptovault.tasks.finished")


def _executor() -> ThreadPoolExecutor:
    """The process's pool, created on first use (after a fork, the child makes its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="task")
            _pool_pid = os.getpid()
        return _pool


def _run(fn: Callable[..., object], kwargs: dict[str, Any], origin: Origin, *, eager: bool) -> None:
    """A job in process, its retries included (on the same pool thread, which waits)."""
    rules = _RULES.get(job_name(fn))
    rule = rules.in_process if rules else None
    number = 1
    try:
        while (delay := _attempt(fn, kwargs, origin, number, rule)) is not None:
            if not eager:
                time.sleep(delay)
            number += 1
    finally:
        if not eager:
            # A pool thread lives on between jobs: it must not keep connections open
            # (PostgreSQL counts them; a test database could not be dropped).
            connections.close_all()
