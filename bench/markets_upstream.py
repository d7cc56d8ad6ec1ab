"""Benchmark (b): upstream economy. Many clients, a cold cache, requests counted upstream.

64 concurrent clients (split over /api/crypto, /api/crypto/bitcoin and its 7-day
history) load gunicorn (2 workers, Redis cache) for 70 s, from a cold cache, while
CoinGecko is a local stub that counts what reaches it. Prints requests per key and
per cache period: the target is at most 2 per key per period.

    .venv/bin/python bench/markets_upstream.py [--duration 70] [--period 10]

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/11).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ROOT,
    describe,
    free_port,
    gunicorn,
    production_env,
    redis_fresh,
    wait_until_up,
)

IDS = ["bitcoin", "ethereum", "tether", "binancecoin", "solana"]
IDS += ["ripple", "usd-coin", "cardano", "dogecoin", "tron"]
COUNTS: Counter[str] = Counter()


def _markets() -> list[dict]:
    return [
        {
            "id": coin,
            "current_price": 100.0 + i,
            "price_change_percentage_24h": 1.0,
            "market_cap": 1e9,
            "total_volume": 1e8,
            "last_updated": "2026-11-28T12:00:00.000Z",
        }
        for i, coin in enumerate(IDS)
    ]


class Stub(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlsplit(self.path).path.removeprefix("/api/v3")
        COUNTS[path] += 1
        if path == "/coins/markets":
            body: object = _markets()
        elif path.endswith("/market_chart"):
            body = {"prices": [[1_700_000_000_000 + i * 3_600_000, 100.0] for i in range(168)]}
        elif path.endswith("/ohlc"):
            body = [[1_700_000_000_000 + i * 14_400_000, 1, 2, 0.5, 1.5] for i in range(42)]
        else:
            body = {
                "id": path.rsplit("/", 1)[-1],
                "description": {"en": "A coin."},
                "market_data": {"max_supply": 21e6},
                "links": {},
            }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=70.0)
    parser.add_argument("--period", type=int, default=10, help="cache and refresh seconds")
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()

    stub = ThreadingHTTPServer(("127.0.0.1", free_port()), Stub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    period = str(args.period)
    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            REDIS_URL=redis_fresh(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")),
            PRICE_SOURCE="coingecko",
            COINGECKO_BASE_URL=f"http://127.0.0.1:{stub.server_port}/api/v3",
            COINGECKO_MONTHLY_CREDITS="100000000",  # this bench measures single flight
            PRICE_CACHE_SECONDS=period,
            PRICE_REFRESH_SECONDS=period,
            COIN_DETAIL_CACHE_SECONDS=period,
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        port = free_port()
        server = subprocess.Popen([sys.executable, *gunicorn(port, env)], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        paths = ["/api/crypto", "/api/crypto/bitcoin", "/api/crypto/bitcoin/history?days=7"]
        try:
            wait_until_up(f"{base}/health/live")
            COUNTS.clear()
            share = args.clients // len(paths)
            loads = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "bench/loadgen.py",
                        base + path,
                        "--concurrency",
                        str(share),
                        "--requests",
                        "10000000",
                        "--duration",
                        str(args.duration),
                    ],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for path in paths
            ]
            figures = [json.loads(load.communicate()[0]) for load in loads]
        finally:
            server.terminate()
            server.wait(timeout=15)
            stub.shutdown()

    periods = math.ceil(args.duration / args.period)
    print(
        f"{args.clients} clients for {args.duration:.0f} s on a cold cache; "
        f"cache and refresh period {args.period} s ({periods} periods)"
    )
    for path, result in zip(paths, figures, strict=True):
        print(f"  GET {path:<38} {describe(result)}")
    print("Upstream requests counted at the stub:")
    for key, count in sorted(COUNTS.items()):
        print(f"  {key:<32} {count:>4}  = {count / periods:.2f} per key per period")


if __name__ == "__main__":
    main()
