import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from cryptovault import tasks

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def last_email(to: str) -> mail.EmailMultiAlternatives:
    sent = [message for message in mail.outbox if to in message.to]
    assert sent, f"no email to {to}; outbox has {[m.to for m in mail.outbox]}"
    assert isinstance(sent[-1], mail.EmailMultiAlternatives)
    return sent[-1]


def code_in(message: mail.EmailMessage) -> str:
    match = re.search(r"\b(\d{6})\b", str(message.body))
    assert match, message.body
    return match.group(1)


def link_in(message: mail.EmailMessage, pattern: str) -> str:
    match = re.search(rf"https?://\S*{pattern}\S*", str(message.body))
    assert match, message.body
    return match.group(0)


def token_in(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


class WatchedPool(ThreadPoolExecutor):
    """The job runner's pool with real threads, under the test's control.

    Jobs start only when the test waits for them (``wait_all``), as when a busy worker
    picks a job up after the request has answered; the test database (in-memory
    SQLite) then never sees the request and a job writing at once, which it cannot
    take. Jobs queued by a job (its email) run within the same wait.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=2, thread_name_prefix="test-task")
        self.futures: list[Future[Any]] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        def gated() -> Any:
            self.gate.wait(timeout=30)
            self.threads.add(threading.current_thread().name)
            return fn(*args, **kwargs)

        future = super().submit(gated)
        self.futures.append(future)
        return future

    def wait_all(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        self.gate.set()
        try:
            while pending := [future for future in self.futures if not future.done()]:
                assert time.monotonic() < deadline, "a background job did not finish"
                pending[0].result(timeout=max(0.01, deadline - time.monotonic()))
        finally:
            self.gate.clear()


@pytest.fixture
def background_jobs(settings, monkeypatch):
    """Jobs run in the background as in production (TASKS_EAGER off), on a pool the
    test can wait for: ``background_jobs.wait_all()``."""
    settings.TASKS_EAGER = False
    pool = WatchedPool()
    monkeypatch.setattr(tasks, "_executor", lambda: pool)
    yield pool
    pool.wait_all()
    pool.shutdown()
