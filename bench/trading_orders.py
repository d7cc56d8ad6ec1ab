"""Benchmark: market orders per second from 16 concurrent users on PostgreSQL.

gunicorn (2 gthread workers) serves the app with production settings; 16 users,
each with their own JWT, place small market buys of bitcoin as fast as they can;
in the same run the same users hit a bare endpoint that does one INSERT in a
transaction. The two take turns (``--rounds``), so the machine's other load weighs
on both alike. Prints both throughputs, latency percentiles and the ratio, then
proves the ledger.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cryptovault_bench \\
        .venv/bin/python bench/trading_orders.py [--duration 15] [--rounds 5]

Needs Redis as production does (REDIS_URL, default redis://127.0.0.1:6379/11; the
bench empties that database first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ROOT,
    free_port,
    gunicorn,
    percentile,
    production_env,
    redis_fresh,
    wait_until_up,
)
from trading_on_tick import fresh_database

USERS = 16
SETUP = """
import json
from django.utils import timezone
from accounts.tokens import tokens_for
from accounts.models import User
from markets.models import Coin, PriceTick
from trading.services import account_fund_initial
bitcoin = Coin.objects.get(pk="bitcoin")
PriceTick.objects.create(coin=bitcoin, price="50000", source="simulated", at=timezone.now())
tokens = []
for i in range({users}):
    user = User.objects.create_user(
        email=f"b{{i}}@example.com", password=None, name="B", email_verified_at=timezone.now()
    )
    account_fund_initial(user=user)
    tokens.append(tokens_for(user)["access"])
print(json.dumps(tokens))
"""


async def worker(host, port, path, body, token, deadline, latencies, errors) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 201 " not in status:
                errors.append(status.decode("latin-1").strip())
    finally:
        writer.close()


async def load(url: str, body: dict, tokens: list[str], seconds: float) -> dict[str, Any]:
    parts = urlsplit(url)
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    data = json.dumps(body).encode()
    await asyncio.gather(
        *(
            worker(parts.hostname, parts.port, parts.path, data, t, deadline, latencies, errors)
            for t in tokens
        )
    )
    return {"latencies": latencies, "errors": len(errors), "seconds": time.perf_counter() - started}


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    latencies = [value for run in runs for value in run["latencies"]]
    return {
        "requests": len(latencies),
        "errors": sum(run["errors"] for run in runs),
        "rps": round(len(latencies) / sum(run["seconds"] for run in runs), 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="the two endpoints take turns this many times (the machine's other load "
        "then weighs on both alike)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cryptovault_bench")
    if not url.startswith("postgres"):
        raise SystemExit("This bench needs PostgreSQL (DATABASE_URL=postgres://...).")
    fresh_database(url)
    env = production_env(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="trading_bench_settings",
        PYTHONPATH=f"{ROOT}:{ROOT / 'bench'}",
        PRICE_SOURCE="simulated",
        PRICE_REFRESH_SECONDS="3600",
        DEMO_STARTING_BALANCE_USD="1000000000",
        REDIS_URL=redis_fresh(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")),
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP.format(users=USERS)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    tokens = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen([sys.executable, *gunicorn(port, env)], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health/live")
        order = {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.0001"}
        asyncio.run(load(f"{base}/api/orders", order, tokens, 2))  # warm up
        turn = args.duration / args.rounds
        bare_runs, order_runs = [], []
        for _ in range(args.rounds):
            bare_runs.append(asyncio.run(load(f"{base}/bench/insert", {}, tokens, turn)))
            order_runs.append(asyncio.run(load(f"{base}/api/orders", order, tokens, turn)))
        bare, orders = summary(bare_runs), summary(order_runs)
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(
        f"{USERS} concurrent users, gunicorn 2 gthread workers, PostgreSQL, "
        f"{args.duration:.0f} s each in {args.rounds} alternating rounds"
    )
    for name, figures in (
        ("POST /bench/insert (one INSERT)", bare),
        ("POST /api/orders (market buy)", orders),
    ):
        print(
            f"  {name:<32} {figures['rps']:>7} req/s  p50 {figures['p50_ms']} ms  "
            f"p99 {figures['p99_ms']} ms  "
            f"({figures['requests']} requests, {figures['errors']} errors)"
        )
    print(f"  ratio orders : bare insert = {orders['rps'] / bare['rps']:.2f}")
    check = subprocess.run(
        [*manage, "check_ledger"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    print(f"  {check.stdout.strip() or check.stderr.strip()}")


if __name__ == "__main__":
    main()
