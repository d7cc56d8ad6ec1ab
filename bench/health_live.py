"""Benchmark: /health/live served the production way, loaded from a second process.

Starts uvicorn (DEBUG off, production settings with throwaway secrets, N workers) on a
free loopback port, warms it up, runs bench/loadgen.py against /health/live in its own
process, prints requests/s and p50/p95/p99 latency, and stops the server. Bounded in
request count and time. Usage:

    .venv/bin/python bench/health_live.py [--workers 2] [--concurrency 32]
        [--requests 20000] [--duration 20]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SIGNING_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
    )
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()

    env = production_env()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "cryptovault.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/health/live"
        wait_until_up(url)
        warm = [sys.executable, "bench/loadgen.py", url, "--requests", "500", "--concurrency", "8"]
        subprocess.run(warm, cwd=ROOT, check=True, capture_output=True)
        load = [
            sys.executable,
            "bench/loadgen.py",
            url,
            "--concurrency",
            str(args.concurrency),
            "--requests",
            str(args.requests),
            "--duration",
            str(args.duration),
        ]
        result = subprocess.run(load, cwd=ROOT, check=True, capture_output=True, text=True)
        figures = json.loads(result.stdout)
    finally:
        server.terminate()
        server.wait(timeout=15)

    print(
        f"GET /health/live  uvicorn --workers {args.workers}  DEBUG off  "
        f"concurrency {args.concurrency}"
    )
    print(
        f"{figures['requests']} requests in {figures['seconds']} s, {figures['errors']} errors: "
        f"{figures['rps']} req/s, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
        f"p99 {figures['p99_ms']} ms"
    )


if __name__ == "__main__":
    main()
