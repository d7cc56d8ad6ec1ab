"""Benchmark (a): cached GET /api/crypto beside a trivial view, served by gunicorn.

Production settings (DEBUG off, Redis cache), gunicorn with threaded workers: the way
CryptoVault serves HTTP in production (websockets go to uvicorn, routed by path).
The trivial view is /health/live (a JsonResponse that touches nothing). The two are
loaded in alternation for ``--rounds`` rounds, because the load generator shares the
two cores with the server and one round alone swings by 20 %; prints each round's
requests/s and latency percentiles, its ratio, and the median ratio.

    .venv/bin/python bench/markets_http.py [--workers 2] [--concurrency 32] [--duration 10]
        [--rounds 5]

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/11).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ROOT,
    describe,
    free_port,
    gunicorn,
    load,
    production_env,
    redis_fresh,
    wait_until_up,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=60000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            REDIS_URL=redis_fresh(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")),
            PRICE_SOURCE="simulated",
            PRICE_CACHE_SECONDS="3600",  # every request a cache hit, as in steady state
            PRICE_REFRESH_SECONDS="3600",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, *gunicorn(port, env, args.workers)], cwd=ROOT, env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/health/live")
            wait_until_up(f"{base}/api/crypto")
            options = {"concurrency": args.concurrency, "requests": args.requests}
            load(f"{base}/api/crypto", concurrency=8, requests=500, duration=5)  # warm up
            rounds = []
            for _ in range(args.rounds):
                trivial = load(f"{base}/health/live", **options, duration=args.duration)
                crypto = load(f"{base}/api/crypto", **options, duration=args.duration)
                rounds.append((trivial, crypto))
        finally:
            server.terminate()
            server.wait(timeout=15)

    print(f"gunicorn --workers {args.workers} (WSGI), DEBUG off, concurrency {args.concurrency}")
    ratios = []
    for number, (trivial, crypto) in enumerate(rounds, 1):
        ratios.append(crypto["rps"] / trivial["rps"])
        print(f"round {number}: GET /health/live (trivial view)  {describe(trivial)}")
        print(f"         GET /api/crypto (cached)         {describe(crypto)}")
        print(f"         ratio /api/crypto : trivial = {ratios[-1]:.0%}")
    print(f"median ratio over {len(ratios)} rounds = {statistics.median(ratios):.0%}")


if __name__ == "__main__":
    main()
