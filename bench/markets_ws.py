"""Benchmark (c): websocket fan-out of /ws/prices on ONE server process.

N clients connect to daphne serving cryptovault.asgi (production settings, Redis
channel layer); the bench publishes price broadcasts to the ``prices`` group the
way the feed does, and every client records the delay from publish to arrival.
The same clients then load a bare ``websockets`` broadcast server in the same run.
Prints connect failures, p50/p99/max delay, lost messages and the server's RSS.

    .venv/bin/python bench/markets_ws.py [--clients 5000] [--messages 5] [--interval 2]
    .venv/bin/python bench/markets_ws.py --topology --clients 10000 [--ws-processes 2]

``--topology`` measures `make prod` instead: nginx in front of WS_PROCESSES uvicorn
processes, the clients spread over them by nginx, the feed publishing (see
bench/ws_topology.py); DATABASE_URL is its own PostgreSQL database (``--database-url``).

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/11).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ws_topology
from common import ROOT, free_port, percentile, production_env, rss_mb, wait_until_up

ROW = {
    "symbol": "btc",
    "name": "Bitcoin",
    "image": "",
    "price_usd": "64250.12000000",
    "change_24h_pct": "1.2345",
    "market_cap": "1264250120000.00000000",
    "volume_24h": "32125060000.00000000",
    "last_updated": "2026-11-28T12:00:00+00:00",
    "source": "coingecko",
    "sparkline_7d": [],
    "age_seconds": 3.0,
}


def start_clients(
    url: str, origin: str, clients: int, procs: int, messages: int, *extra: str
) -> list:
    share = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    return [
        subprocess.Popen(
            [
                sys.executable,
                "bench/wsclients.py",
                url,
                "--origin",
                origin,
                "--clients",
                str(n),
                "--messages",
                str(messages),
                "--timeout",
                "30",
                *extra,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in share
    ]


def run_case(
    name: str, url: str, origin: str, args: argparse.Namespace, publish, server_pid: int
) -> None:
    started = time.monotonic()
    clients = start_clients(url, origin, args.clients, args.client_procs, args.messages)
    connected = failed = 0
    for proc in clients:
        _, ok, bad = proc.stdout.readline().split()
        connected, failed = connected + int(ok), failed + int(bad)
    connect_seconds = time.monotonic() - started
    memory = rss_mb(server_pid)
    cpu = ws_topology.cpu_seconds(server_pid)
    for proc in clients:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    time.sleep(0.5)
    for _ in range(args.messages):
        publish()
        time.sleep(args.interval)
    memory_after = rss_mb(server_pid)
    cpu_ms = (ws_topology.cpu_seconds(server_pid) - cpu) * 1000 / max(args.messages, 1)
    delays: list[float] = []
    for proc in clients:
        result = json.loads(proc.stdout.readline())
        delays += result["delays"]
        proc.wait(timeout=60)
    expected = connected * args.messages
    lost = expected - len(delays)
    p50, p99 = percentile(delays, 0.5) * 1000, percentile(delays, 0.99) * 1000
    worst = max(delays, default=float("nan")) * 1000
    print(
        f"{name:<34} clients {connected}/{args.clients} "
        f"(failed {failed}, {connect_seconds:.1f}s to connect)  "
        f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  max {worst:.0f} ms  "
        f"lost {lost}/{expected}  server RSS {memory} MB connected, {memory_after} MB after"
        f", {cpu_ms:.0f} ms CPU per broadcast"
        f"; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--topology", action="store_true", help="through make prod's nginx")
    parser.add_argument("--ws-processes", type=int, default=2)
    parser.add_argument("--broadcast-seconds", type=int, default=2)
    parser.add_argument(
        "--publisher",
        choices=["feed", "bench"],
        default="feed",
        help="--topology: who broadcasts, make prod's feed or the bench (the feed quiet)",
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/cv_markets")
    parser.add_argument("--port", type=int, default=0, help="make prod's port (default: free)")
    parser.add_argument("--prod-log", default=f"{tempfile.gettempdir()}/markets_ws_prod.log")
    args = parser.parse_args()
    # Every client is a socket (and every proxied one two in nginx): as many as allowed.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.topology:
        ws_topology.run(args, start_clients)
    else:
        single_process(args)
    bare(args)


def single_process(args: argparse.Namespace) -> None:
    """Case one: Channels on ONE uvicorn (or daphne) process, the bench publishing."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")

    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix="cv:channels")
    loop = asyncio.new_event_loop()

    def publish_channels() -> None:
        rows = [{**ROW, "id": f"coin-{i}"} for i in range(10)]
        message = {"type": "prices.broadcast", "prices": rows, "at": datetime.now(UTC).isoformat()}
        loop.run_until_complete(layer.group_send("prices", message))

    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            REDIS_URL=redis_url,
            PRICE_SOURCE="simulated",
            PRICE_FEED_EMBEDDED="false",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        port = free_port()
        command = {
            "daphne": ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0"],
            "uvicorn": [
                "-m",
                "uvicorn",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--log-level",
                "warning",
                "--no-access-log",
                "--ws-per-message-deflate",  # as in the Procfile
                "false",
                "--ws-max-size",
                "65536",
            ],
        }[args.server]
        server = subprocess.Popen(
            [sys.executable, *command, "cryptovault.asgi:application"], cwd=ROOT, env=env
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/health/live")
            run_case(
                f"{args.server} + Channels (/ws/prices)",
                f"ws://127.0.0.1:{port}/ws/prices",
                f"http://127.0.0.1:{port}",
                args,
                publish_channels,
                server.pid,
            )
        finally:
            server.terminate()
            server.wait(timeout=15)


def bare(args: argparse.Namespace) -> None:
    """The floor: a bare ``websockets`` broadcast server, the same clients."""
    port = free_port()
    bare = subprocess.Popen(
        [sys.executable, "bench/bare_ws_server.py", str(port)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert bare.stdin is not None and bare.stdout is not None
    stdin = bare.stdin
    try:
        bare.stdout.readline()

        def publish_bare() -> None:
            stdin.write("publish\n")
            stdin.flush()

        run_case(
            "bare websockets server",
            f"ws://127.0.0.1:{port}/",
            f"http://127.0.0.1:{port}",
            args,
            publish_bare,
            bare.pid,
        )
    finally:
        stdin.close()
        bare.terminate()
        bare.wait(timeout=15)


if __name__ == "__main__":
    main()
