"""Benchmark (a): cached GET /api/crypto beside a trivial view, served by gunicorn.

Production settings (DEBUG off, Redis cache), gunicorn with threaded workers: the way
CryptoVault serves HTTP in production (websockets go to uvicorn, routed by path).
The trivial view is /health/live (a JsonResponse that touches nothing). The two are
loaded in alternation for ``--rounds`` rounds, because the load generator shares the
two cores with the server and one round alone swings by 20 %; prints each round's
requests/s and latency percentiles, its ratio, and the median ratio.

gunicorn runs with ``--reuse-port``: each worker listens on its own SO_REUSEPORT socket
and the kernel spreads new connections over them. On one shared socket, the 32
keep-alive connections a run opens at once were all accepted by whichever worker was
awake first (measured: all of them on one worker in 5 of 10 runs), so a run measured
one process or two by chance and the rounds were bimodal (105-116% against 34-43%).
Each run prints how its connections sat on the workers, sampled half-way.

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
import threading
from pathlib import Path
from typing import Any

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


def connections_per_worker(master: int, port: int) -> list[int]:
    """Established connections to ``port`` held by each worker of ``master`` (/proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    counts = []
    for worker in sorted(workers, key=int):
        held = 0
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            try:
                held += os.readlink(fd) in inodes
            except OSError:
                continue
        counts.append(held)
    return counts


def workers_cpu_seconds(master: int) -> float:
    """CPU time (user + system) the workers of ``master`` have used so far."""
    ticks = 0
    for worker in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def load_sampled(
    url: str, server: tuple[int, int], *, concurrency: int, requests: int, duration: float
) -> dict[str, Any]:
    """``load`` with the connections per worker of ``server`` (its master's pid and its
    port) sampled half-way through the run, as "16/16", and the workers' CPU time per
    request (what the server spent, whatever else the shared machine ran meanwhile)."""
    split: list[list[int]] = []
    timer = threading.Timer(duration / 2, lambda: split.append(connections_per_worker(*server)))
    timer.start()
    cpu = workers_cpu_seconds(server[0])
    figures: dict[str, Any] = load(
        url, concurrency=concurrency, requests=requests, duration=duration
    )
    cpu = workers_cpu_seconds(server[0]) - cpu
    timer.join()
    figures["cpu_us"] = round(cpu / max(figures["requests"], 1) * 1e6)
    figures["load"] = round(os.getloadavg()[0], 1)  # the machine is shared: how busy it was
    figures["split"] = "/".join(str(count) for count in split[0]) if split else "?"
    return figures


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
            [sys.executable, *gunicorn(port, env, args.workers), "--reuse-port"], cwd=ROOT, env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/health/live")
            wait_until_up(f"{base}/api/crypto")
            options = {
                "concurrency": args.concurrency,
                "requests": args.requests,
                "duration": args.duration,
            }
            load(f"{base}/api/crypto", concurrency=8, requests=500, duration=5)  # warm up
            rounds = []
            for _ in range(args.rounds):
                target = (server.pid, port)
                trivial = load_sampled(f"{base}/health/live", target, **options)
                crypto = load_sampled(f"{base}/api/crypto", target, **options)
                rounds.append((trivial, crypto))
        finally:
            server.terminate()
            server.wait(timeout=15)

    print(
        f"gunicorn --workers {args.workers} --reuse-port (WSGI), DEBUG off, "
        f"concurrency {args.concurrency}"
    )
    ratios, costs = [], []
    for number, (trivial, crypto) in enumerate(rounds, 1):
        ratios.append(crypto["rps"] / trivial["rps"])
        costs.append(trivial["cpu_us"] / max(crypto["cpu_us"], 1))
        print(f"round {number}: GET /health/live (trivial view)  {describe(trivial)}")
        print(f"         GET /api/crypto (cached)         {describe(crypto)}")
        print(
            f"         connections per worker: trivial {trivial['split']}, cached {crypto['split']}"
            f"; server CPU per request: trivial {trivial['cpu_us']} µs, "
            f"cached {crypto['cpu_us']} µs; load average {trivial['load']}, {crypto['load']}"
        )
        print(
            f"         ratio /api/crypto : trivial = {ratios[-1]:.0%} "
            f"(by server CPU per request: {costs[-1]:.0%})"
        )
    print(f"median ratio over {len(ratios)} rounds = {statistics.median(ratios):.0%}")
    print(f"median ratio by server CPU per request = {statistics.median(costs):.0%}")


if __name__ == "__main__":
    main()
