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
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, free_port, production_env, wait_until_up


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
