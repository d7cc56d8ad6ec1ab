"""Benchmark: GET /api/chains/1337/gas against ganache, cached vs uncached.

Starts ganache (the npm devDependency) on loopback, a counting JSON-RPC proxy in front
of it, and gunicorn the production way (DEBUG off, Redis cache) twice: once with
CHAIN_GAS_CACHE_SECONDS=10 (the default) and once with 0 (every request asks the node).
Loads /api/chains/1337/gas from a second process and prints requests/s, p50/p95/p99
and how many JSON-RPC calls reached the node per HTTP request, beside the trivial view
/health/live on the same server. Usage:

    .venv/bin/python bench/chains_gas.py [--workers 2] [--concurrency 16] [--duration 10]

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/11) and `npm ci` (ganache).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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

from chains.local_evm import ganache


class CountingProxy(ThreadingHTTPServer):
    """Forwards JSON-RPC POSTs to the node and counts them."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.calls = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: CountingProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.calls += 1
        request = urllib.request.Request(  # noqa: S310 - loopback ganache
            self.server.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = response.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        return


def run(
    proxy: CountingProxy, cache_seconds: int, args: argparse.Namespace
) -> tuple[dict[str, float], int, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            REDIS_URL=redis_fresh(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")),
            PRICE_SOURCE="simulated",
            CHAIN_RPC_1337=proxy.url,
            CHAIN_GAS_CACHE_SECONDS=str(cache_seconds),
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, *gunicorn(port, env, args.workers)], cwd=ROOT, env=env
        )
        url = f"http://127.0.0.1:{port}/api/chains/1337/gas"
        try:
            wait_until_up(f"http://127.0.0.1:{port}/health/live")
            wait_until_up(url)
            load(url, concurrency=4, requests=200, duration=5)  # warm up
            before = proxy.calls
            figures = load(
                url, concurrency=args.concurrency, requests=args.requests, duration=args.duration
            )
            calls = proxy.calls - before
            trivial = load(
                f"http://127.0.0.1:{port}/health/live",
                concurrency=args.concurrency,
                requests=args.requests,
                duration=args.duration,
            )
        finally:
            server.terminate()
            server.wait(timeout=15)
    return figures, calls, trivial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()

    with ganache() as node_url:
        proxy = CountingProxy(node_url)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            cached, cached_calls, trivial = run(proxy, 10, args)
            uncached, uncached_calls, _ = run(proxy, 0, args)
        finally:
            proxy.shutdown()

    print(
        f"GET /api/chains/1337/gas  ganache 7.9.2 on loopback  gunicorn --workers "
        f"{args.workers} (WSGI), DEBUG off, Redis cache, concurrency {args.concurrency}"
    )
    print(f"{'/health/live':<15} {describe(trivial)}  (trivial view, same server)")
    for label, figures, calls in (
        ("cached (10 s)", cached, cached_calls),
        ("uncached (0 s)", uncached, uncached_calls),
    ):
        per_request = calls / figures["requests"] if figures["requests"] else float("nan")
        print(f"{label:<15} {describe(figures)}")
        print(f"{'':<15} {calls} JSON-RPC calls to the node ({per_request:.3f} per request)")
    print(
        f"ratio cached : uncached = {cached['rps'] / uncached['rps']:.1f}x; "
        f"cached : trivial view = {cached['rps'] / trivial['rps']:.0%}"
    )


if __name__ == "__main__":
    main()
