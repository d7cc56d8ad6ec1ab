"""Helpers shared by the bench scripts: ports, the production environment, waiting."""

from __future__ import annotations

import os
import secrets
import socket
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SIGNING_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer at {url}")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), in MB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def gunicorn(port: int, env: dict[str, str], workers: int = 2) -> list[str]:
    """The production HTTP command: gunicorn, WSGI, threaded workers with keep-alive."""
    return [
        "-m",
        "gunicorn",
        "cryptovault.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]


def load(url: str, *, concurrency: int, requests: int, duration: float) -> dict[str, float]:
    """Run bench/loadgen.py in its own process and return its figures."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "bench/loadgen.py", url, "--concurrency", str(concurrency)]
    command += ["--requests", str(requests), "--duration", str(duration)]
    result = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def describe(figures: dict[str, float]) -> str:
    return (
        f"{figures['rps']:>8} req/s  p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  "
        f"p99 {figures['p99_ms']} ms  ({figures['requests']} requests, {figures['errors']} errors)"
    )


def redis_fresh(url: str) -> str:
    """Empty the bench's own Redis database so no earlier run's cache skews this one."""
    import redis

    redis.Redis.from_url(url).flushdb()
    return url
