"""Background jobs, in process: ``task_enqueue(fn, **kwargs)`` runs ``fn`` off the request.

Why: some answers must not depend on the work behind them. Forgot-password and
resend-verification look an address up, write tokens and send mail only when it has
an account; done in the request, that work shows in the answer time and tells an
attacker which addresses exist. Handed to a job, every answer takes the same time.
Emails (slow SMTP or provider calls) leave the same way.

The contract, small on purpose so that a task queue (Celery) can replace it:

- a job runs once the current transaction commits (never for a rolled-back one),
  on a small thread pool in this process; a job queued while serving a request
  starts once the response is sent (``request_finished``): started earlier, its
  thread would compete with that answer for the interpreter, and a heavier job (an
  email for an existing account) would make that answer measurably slower, which is
  what the runner is here to prevent (bench/accounts_enumeration.py measures it);
- it runs with the request context (id and client IP) of the request that queued it,
  so its log lines and audit entries point back to that request and its client (the
  live request is gone by then, and a queue could not carry it anyway);
- keyword arguments only, plain data (a queue would serialise them);
- an exception in a job is logged with the request id, never lost silently; the
  job's database connections are closed when it ends;
- ``TASKS_EAGER`` (on under pytest) runs the job in the committing thread instead,
  so tests see its effects (the email in the outbox) right after the request.

Jobs queued but not started when the process exits are finished first (the pool's
threads are joined at exit); a killed process loses them, which a real queue fixes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, NamedTuple

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections, transaction

from cryptovault.request_context import (
    client_ip_var,
    current_client_ip,
    current_request_id,
    request_id_var,
)

logger = logging.getLogger(__name__)

WORKERS = 4  # jobs wait on the database or a mail server, not on the CPU

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


class Origin(NamedTuple):
    """The request context a job was queued in, restored while it runs."""

    request_id: str
    client_ip: str | None


Job = tuple[Callable[..., object], dict[str, Any], Origin]
# Jobs waiting for the current request's response to be sent; None outside a request.
# A context variable follows the request across asgiref's thread hops under ASGI.
_after_response: ContextVar[list[Job] | None] = ContextVar("tasks_after_response", default=None)


def task_enqueue(fn: Callable[..., object], /, **kwargs: Any) -> None:
    """Run ``fn(**kwargs)`` in the background after the current transaction commits."""
    origin = Origin(current_request_id(), current_client_ip())

    def start() -> None:
        if settings.TASKS_EAGER:
            _run(fn, kwargs, origin, eager=True)
            return
        waiting = _after_response.get()
        if waiting is not None:
            waiting.append((fn, kwargs, origin))
        else:
            _submit((fn, kwargs, origin))

    transaction.on_commit(start)


def _submit(job: Job) -> None:
    fn, kwargs, origin = job
    _executor().submit(_run, fn, kwargs, origin, eager=False)


def _start_waiting_jobs() -> None:
    waiting = _after_response.get()
    while waiting:
        _submit(waiting.pop(0))


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
    tokens = (request_id_var.set(origin.request_id), client_ip_var.set(origin.client_ip))
    try:
        fn(**kwargs)
    except Exception:
        # Named explicitly: the line must point at the request even if read elsewhere.
        logger.exception(
            "Task %s.%s failed",
            fn.__module__,
            fn.__qualname__,
            extra={"request_id": origin.request_id},
        )
    finally:
        client_ip_var.reset(tokens[1])
        request_id_var.reset(tokens[0])
        if not eager:
            # A pool thread lives on between jobs: it must not keep connections open
            # (PostgreSQL counts them; a test database could not be dropped).
            connections.close_all()
