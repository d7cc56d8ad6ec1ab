"""Settings for bench/trading_orders.py: the app, plus a bare one-INSERT endpoint, and
no per-user order limit (the bench measures throughput, not the 20/min policy)."""

from cryptovault.settings import *  # noqa: F403

ROOT_URLCONF = "bench.trading_bench_urls"
RATELIMIT_ENABLE = False
