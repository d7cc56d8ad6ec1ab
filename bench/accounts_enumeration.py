"""Benchmark: do forgot-password, resend-verification and verify-email take the same time
for a verified account, a pending sign-up and an unknown address? (SPEC §2, security.md R1)

gunicorn serves the app with production settings (DEBUG off, Redis, a temporary SQLite
file, console email: the job still renders, sends and records every email). One
client on loopback sends the requests one after the other over a kept-alive
connection, in rounds: each round sends every (endpoint, address) pair once, in a
shuffled order, so a slow moment of the machine or a job still running from the
previous request falls on every address alike. Each request comes from its own
client address (``X-Forwarded-For`` behind ``TRUSTED_PROXY_COUNT=1``), so the per-IP
rate limits count as in production but never answer. Prints, per endpoint, the median
time of each address kind and the ratio of the slowest median to the fastest (target:
within 10 %, i.e. a ratio under 1.10).

A request takes 3-5 ms here, and on two shared cores the median of 200 samples still
swings by about 10 % from run to run (the slowest kind changed between runs, once the
unknown address, which does the least work); 1,000 rounds bring the swing to a few %.

    .venv/bin/python bench/accounts_enumeration.py [--rounds 1000] [--workers 2]
        [--task-queue inprocess|celery]

With ``--task-queue celery`` the jobs go to a Celery worker on the same Redis (the
request only publishes them as it commits), as under ``make prod``.

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/11).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, free_port, gunicorn, percentile, production_env, redis_fresh, wait_until_up

KNOWN, PENDING, UNKNOWN = "known@example.com", "pending@example.com", "unknown@example.com"
KINDS = {"verified": KNOWN, "pending": PENDING, "unknown": UNKNOWN}
ENDPOINTS = {
    "forgot-password": ("/api/auth/forgot-password", lambda email: {"email": email}),
    "resend-verification": ("/api/auth/resend-verification", lambda email: {"email": email}),
    # A wrong code: the pending address has a live round, the others none.
    "verify-email (wrong code)": (
        "/api/auth/verify-email",
        lambda email: {"email": email, "code": "000000"},
    ),
}
SETUP = f"""
from django.utils import timezone
from accounts.models import User
from accounts.services.registration import _verification_start
User.objects.create_user(
    email="{KNOWN}", password="correct horse battery", email_verified_at=timezone.now()
)
pending = User.objects.create_user(email="{PENDING}", password="correct horse battery")
_verification_start(user=pending)
"""


def client_address(number: int) -> str:
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def timed_post(connection: http.client.HTTPConnection, path: str, body: dict, ip: str) -> float:
    payload = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": ip}
    started = time.perf_counter()
    connection.request("POST", path, body=payload, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status not in (200, 400):
        raise SystemExit(f"POST {path} answered {response.status}: the bench is not measuring")
    return elapsed


def queue_drained(redis_url: str, *, timeout: float) -> bool:
    """Wait until the broker holds no job: none queued, none taken and not yet done
    (jobs are acknowledged once run; kombu keeps the taken ones in "unacked")."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while client.llen("celery") or client.hlen("unacked"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def emails_printed(path: Path, *, settle: float, timeout: float) -> int:
    """The emails in the log once its count has not moved for ``settle`` seconds."""
    deadline = time.monotonic() + timeout
    count = -1
    while time.monotonic() < deadline:
        now = path.read_text().count("Subject: ")
        if now == count:
            break
        count = now
        time.sleep(settle)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1000, help="requests per endpoint and kind")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--task-queue", choices=("inprocess", "celery"), default="inprocess")
    args = parser.parse_args()
    shuffler = random.Random(args.seed)

    times: dict[tuple[str, str], list[float]] = {
        (endpoint, kind): [] for endpoint in ENDPOINTS for kind in KINDS
    }
    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            REDIS_URL=redis_fresh(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")),
            PRICE_SOURCE="simulated",
            TRUSTED_PROXY_COUNT="1",
            EMAIL_SERVICE="console",
            TASK_QUEUE=args.task_queue,
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run(  # quiet: the pending user's first email is printed by the shell
            [sys.executable, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [sys.executable, *gunicorn(port, env, args.workers)],
            cwd=ROOT,
            env=env,
            stdout=log,  # the console email backend prints every email here
            stderr=subprocess.STDOUT,
        )
        worker = None
        if args.task_queue == "celery":  # its console emails go to the same log
            celery = [str(Path(sys.executable).parent / "celery"), "-A", "cryptovault"]
            worker = subprocess.Popen(
                [*celery, "worker", "--concurrency=2", "--loglevel=warning"],
                cwd=ROOT,
                env={**env, "PYTHONUNBUFFERED": "1"},  # every email in the log, none buffered
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/health/live")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            pairs = [(endpoint, kind) for endpoint in ENDPOINTS for kind in KINDS]
            number = 0
            for _warm_up in range(10):  # imports, templates, connections
                for endpoint, kind in pairs:
                    number += 1
                    path, body = ENDPOINTS[endpoint]
                    timed_post(connection, path, body(KINDS[kind]), client_address(number))
            for _ in range(args.rounds):
                shuffler.shuffle(pairs)
                for endpoint, kind in pairs:
                    number += 1
                    path, body = ENDPOINTS[endpoint]
                    elapsed = timed_post(
                        connection, path, body(KINDS[kind]), client_address(number)
                    )
                    times[endpoint, kind].append(elapsed)
            connection.close()
            time.sleep(1)  # let the last jobs finish before the server stops
            if worker is not None:  # the worker may lag behind: until it has drained the queue
                if not queue_drained(env["REDIS_URL"], timeout=600):
                    print("The worker still had jobs after 600 s: the email count is short")
                emails_printed(Path(tmp) / "server.log", settle=2.0, timeout=60)
        finally:
            for process in (server, worker):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=15)
            log.close()
        sent = (Path(tmp) / "server.log").read_text().count("Subject: ")

    print(
        f"gunicorn --workers {args.workers} (WSGI), DEBUG off, one client, "
        f"{args.rounds} interleaved rounds; {sent} emails sent by background jobs "
        f"(TASK_QUEUE={args.task_queue})"
    )
    worst = 0.0
    for endpoint in ENDPOINTS:
        medians = {kind: statistics.median(times[endpoint, kind]) * 1000 for kind in KINDS}
        p90 = {kind: percentile(times[endpoint, kind], 0.9) * 1000 for kind in KINDS}
        ratio = max(medians.values()) / min(medians.values())
        worst = max(worst, ratio)
        figures = "  ".join(
            f"{kind} {medians[kind]:.2f} ms (p90 {p90[kind]:.2f})" for kind in KINDS
        )
        print(f"{endpoint:<27} median: {figures}  slowest/fastest = {ratio:.3f}")
    verdict = "within" if worst <= 1.10 else "NOT within"
    print(f"worst ratio of medians = {worst:.3f}: {verdict} the 10 % target")


if __name__ == "__main__":
    main()
