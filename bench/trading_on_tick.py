"""Benchmark: ``on_tick`` with 100,000 open limit orders on PostgreSQL.

Seeds 100,000 open limit buys of bitcoin (spread over 200 users, limits from $1 up,
each with its USD held as the engine would), then times a tick that crosses none
(index-driven: target <= 10 ms) and a tick that crosses exactly 1,000 (settled in
batches of ``trading.services.matching.FILL_BATCH`` orders, each batch one transaction with its
row locks, ledger entries and audit events: target <= 2 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cryptovault_bench \\
        .venv/bin/python bench/trading_on_tick.py

The database is dropped and recreated. Orders are seeded in bulk (not through the
services) so that seeding takes seconds; the ticks run the real engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORDERS = 100_000
USERS = 200
CROSSING = 1_000


def fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = ["psql", "-q", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    admin += ["-U", parts.username or "postgres", "-d", "postgres", "-c"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True)


def main() -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cryptovault_bench")
    if not url.startswith("postgres"):
        raise SystemExit("This bench needs PostgreSQL (DATABASE_URL=postgres://...).")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cryptovault.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)  # in-memory channel layer: the bench measures the engine
    fresh_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from trading.models import Balance, LedgerEntry, Order
    from trading.services import on_tick

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", name=f"Bench {i}", email_verified_at=timezone.now())
        for i in range(USERS)
    )
    fee = Decimal("1.001")
    orders, held = [], {user.pk: Decimal(0) for user in users}
    for i in range(ORDERS):
        user = users[i % USERS]
        limit = Decimal(1 + i // 2)  # $1 .. $50,000, two orders per price
        hold = (Decimal("0.001") * limit * fee).quantize(Decimal("0.00000001"))
        held[user.pk] += hold
        orders.append(
            Order(
                user=user,
                coin_id="bitcoin",
                side="buy",
                type="limit",
                quantity=Decimal("0.001"),
                limit_price=limit,
                held_amount=hold,
            )
        )
    Order.objects.bulk_create(orders, batch_size=5000)
    balances = [
        Balance(user_id=pk, asset="USD", available=Decimal(1_000_000), held=amount)
        for pk, amount in held.items()
    ]
    Balance.objects.bulk_create(balances)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                user_id=pk,
                asset="USD",
                kind="deposit",
                amount=Decimal(1_000_000) + amount,
                balance_after=Decimal(1_000_000) + amount,
            )
            for pk, amount in held.items()
        ]
        + [
            LedgerEntry(
                user_id=pk,
                asset="USD",
                kind="hold",
                amount=-amount,
                balance_after=Decimal(1_000_000),
            )
            for pk, amount in held.items()
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded = time.perf_counter() - started
    print(f"seeded {ORDERS:,} open limit orders for {USERS} users in {seeded:.1f} s")

    highest = Decimal(ORDERS // 2)
    timings = []
    for _ in range(5):
        t = time.perf_counter()
        filled = on_tick(prices={"bitcoin": highest + 1}, at=datetime.now(UTC))
        timings.append((time.perf_counter() - t) * 1000)
        assert filled == 0
    print(
        f"tick crossing none:  best {min(timings):.2f} ms, median {sorted(timings)[2]:.2f} ms "
        f"(5 runs; target <= 10 ms)"
    )

    price = highest - CROSSING // 2 + 1  # two orders per price: the top 1,000 cross
    t = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        filled = profile.runcall(on_tick, prices={"bitcoin": price}, at=datetime.now(UTC))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    else:
        filled = on_tick(prices={"bitcoin": price}, at=datetime.now(UTC))
    seconds = time.perf_counter() - t
    print(
        f"tick crossing {filled:,}: {seconds:.2f} s, "
        f"{seconds / max(filled, 1) * 1000:.2f} ms per fill (target <= 2 s)"
    )
    call_command("check_ledger")


if __name__ == "__main__":
    main()
