"""The task queue's settings: in process (the embedded default) or Celery on Redis.

Part of the settings (``cryptovault.settings`` reads ``TASK_QUEUE`` and binds these).
``TASK_QUEUE=inprocess`` (the default) runs every job on a small thread pool of the
process that queued it, so ``make run`` needs nothing else; ``TASK_QUEUE=celery``
sends each job to Redis (``REDIS_URL``) for the worker ``make prod`` runs:

    .venv/bin/celery -A cryptovault worker --beat --loglevel=info --concurrency=2

Celery is chosen explicitly, never because Redis is there: a process set with Redis
but no worker (the services mode of ``make test``) must still send its emails.
Only plain JSON crosses the broker; ``--beat`` in the worker runs the periodic jobs
below (one worker runs beat: a second beat would send each job twice).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODES = ("inprocess", "celery")

# Bound in cryptovault.settings as they are (Celery reads them there, prefix CELERY_).
__all__ = [
    "CELERY_ACCEPT_CONTENT",
    "CELERY_BEAT_SCHEDULE",
    "CELERY_BEAT_SCHEDULE_FILENAME",
    "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP",
    "CELERY_BROKER_TRANSPORT_OPTIONS",
    "CELERY_IMPORTS",
    "CELERY_RESULT_SERIALIZER",
    "CELERY_TASK_ACKS_LATE",
    "CELERY_TASK_IGNORE_RESULT",
    "CELERY_TASK_REJECT_ON_WORKER_LOST",
    "CELERY_TASK_SERIALIZER",
    "CELERY_TIMEZONE",
    "CELERY_WORKER_HIJACK_ROOT_LOGGER",
    "CELERY_WORKER_PREFETCH_MULTIPLIER",
]

# Receipts of pending wallet transactions: ganache mines at once, public chains in
# seconds, so every 15 s (the interval the former `follow_wallet_transactions
# --every 15` loop had). A run not started within its interval is dropped (expires):
# after an outage the worker does not replay a backlog of identical runs.
WALLET_FOLLOW_SECONDS = 15.0
# Ticks older than markets.services.TICK_RETENTION go once an hour (as the feed did).
TICKS_PRUNE_SECONDS = 3600.0

CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "follow-wallet-transactions": {
        "task": "chains.tasks.wallet_transactions_follow",
        "schedule": WALLET_FOLLOW_SECONDS,
        "options": {"expires": WALLET_FOLLOW_SECONDS},
    },
    "prune-old-ticks": {
        "task": "markets.tasks.ticks_prune_old",
        "schedule": TICKS_PRUNE_SECONDS,
        "options": {"expires": TICKS_PRUNE_SECONDS},
    },
}

# Beat's record of when each job last ran: local state, in var/ (ignored by git).
CELERY_BEAT_SCHEDULE_FILENAME = str(
    Path(__file__).resolve().parent.parent / "var" / "celerybeat-schedule"
)

# Plain JSON only, both ways: no pickle from a broker anyone on the network could write to.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A job is acknowledged once it has run, so a worker killed mid-job leaves it to
# another; one message at a time per process, so a long job holds back no other.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Jobs answer nobody: results are not stored (no result backend).
CELERY_TASK_IGNORE_RESULT = True
# Redis redelivers an unacknowledged message after this long; longer than the
# longest countdown of a retry (accounts.emails: 160 s and jitter), or a job
# waiting for its retry would be handed to a second worker meanwhile.
# A broker that vanishes must not hold a request's publish forever (socket timeouts
# longer than the 1 s BRPOP the worker waits in); the publisher then runs the job itself.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The generic runner of jobs that are plain functions lives in the core.
CELERY_IMPORTS = ["cryptovault.tasks"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # settings_logging's handlers stay


def broker_url(*, task_queue: str, redis_url: str) -> str:
    """Redis in the celery mode; Celery's in-memory transport otherwise (never used
    to send: the in-process runner sends nothing, and tests pick their broker)."""
    return redis_url if task_queue == "celery" else "memory://localhost/"
