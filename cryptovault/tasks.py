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
- it runs with the request id of the request that queued it, so its log lines and
  audit entries point back to that request; an ``HttpRequest`` passed as
  ``request=`` travels as its client IP only, and the job receives a stand-in
  request carrying that IP (the live request is gone by then, and a queue could not
  carry it anyway);
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
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections, transaction
from django.http import HttpRequest

from cryptovault.client_ip import client_ip
from cryptovault.request_context import current_request_id, request_id_var

logger = logging.getLogger(__name__)

WORKERS = 4  # jobs wait on the database or a mail server, not on the CPU

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()

Job = tuple[Callable[..., object], dict[str, Any], str]
# Jobs waiting for the current request's response to be sent; None outside a request.
# A context variable follows the request across asgiref's thread hops under ASGI.
_after_response: ContextVar[list[Job] | None] = ContextVar("tasks_after_response", default=None)


def task_enqueue(fn: Callable[..., object], /, **kwargs: Any) -> None:
    """Run ``fn(**kwargs)`` in the background after the current transaction commits."""
    request_id = current_request_id()
    request = kwargs.get("request")
    if isinstance(request, HttpRequest):
        kwargs["request"] = origin_request(ip=client_ip(request), request_id=request_id)

    def start() -> None:
        if settings.TASKS_EAGER:
            _run(fn, kwargs, request_id, eager=True)
            return
        waiting = _after_response.get()
        if waiting is not None:
            waiting.append((fn, kwargs, request_id))
        else:
            _submit((fn, kwargs, request_id))

    transaction.on_commit(start)


def origin_request(*, ip: str, request_id: str) -> HttpRequest:
    """A stand-in for the request a job came from: its client IP and its id, nothing else.

    The IP is already the trusted client address (resolved through the proxies), so
    it is the peer address here and ``client_ip`` reads it back unchanged.
    """
    stand_in = HttpRequest()
    stand_in.META["REMOTE_ADDR"] = ip
    stand_in.request_id = request_id  # type: ignore[attr-defined]
    return stand_in


def _submit(job: Job) -> None:
    fn, kwargs, request_id = job
    _executor().submit(_run, fn, kwargs, request_id, eager=False)


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


def _run(
    fn: Callable[..., object], kwargs: dict[str, Any], request_id: str, *, eager: bool
) -> None:
    token = request_id_var.set(request_id)
    try:
        fn(**kwargs)
    except Exception:
        # Named explicitly: the line must point at the request even if read elsewhere.
        logger.exception(
            "Task %s.%s failed", fn.__module__, fn.__qualname__, extra={"request_id": request_id}
        )
    finally:
        request_id_var.reset(token)
        if not eager:
            # A pool thread lives on between jobs: it must not keep connections open
            # (PostgreSQL counts them; a test database could not be dropped).
            connections.close_all()
