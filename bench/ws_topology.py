"""``bench/markets_ws.py --topology``: websockets through `make prod`'s nginx.

Starts ``make prod`` (nginx on loopback in front of WS_PROCESSES uvicorn processes,
gunicorn, the two price feeds and the worker) on a free port, against its own
PostgreSQL database and Redis database, with the simulated price source and a short
PRICE_BROADCAST_SECONDS. The clients connect to ``/ws/prices`` on nginx's entry and
record every ``prices`` message by its ``at`` stamp for ``messages`` broadcasts: the
delay to each client, and how many a connected client never got (lost). The
broadcasts are the feed's (``--publisher feed``, the default: its stamp is taken
before it announces the prices to trading, so the delay includes the fills) or the
bench's own (``--publisher bench``: stamped at the publish, the feed kept quiet so
that two publishers do not queue behind each other), as the single-process case
does. Prints the RSS of each uvicorn process (found by its ``--uds``
socket in ``var/prod-<PORT>/``) with its share of the sockets, and the CPU each
process spends per broadcast (the machine is shared: delays move with its load).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import ROOT, free_port, percentile, production_env, redis_fresh, rss_mb

StartClients = Callable[..., list[Any]]

READY_LINE = "is serving on"
STARTUP_SECONDS = 300.0  # make prod runs migrate and collectstatic first
GRACE_SECONDS = 2.0  # a broadcast must have had this long to arrive before recording ends


def database_ensure(url: str) -> None:
    """Create the bench's own PostgreSQL database when it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if found.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


class Prod:
    """`make prod` in its own session, its output kept (the last lines) and watched."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("w")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.write(line)
            self.tail.append(line.rstrip())
            if READY_LINE in line:
                self.ready.set()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.ready.wait(1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("make prod did not start:\n" + "\n".join(self.tail))

    def stop(self) -> None:
        """SIGTERM to make (it forwards it; the supervisor stops every child), then
        SIGKILL to the session we started if anything is left after 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def ws_pids(run_dir: Path, processes: int) -> dict[str, int]:
    """Each uvicorn process of this run by name (``ws.1``...), from its --uds socket."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for number in range(1, processes + 1):
            sock = str(run_dir / f"ws.{number}.sock").encode()
            if sock in argv and any(b"uvicorn" in arg for arg in argv[:3]):
                found[f"ws.{number}"] = int(entry.name)
    return found


def unix_sockets(pid: int) -> int:
    """Open sockets of a process: about its websockets (one unix socket from nginx each)."""
    count = 0
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                count += os.readlink(fd).startswith("socket:")
            except OSError:
                continue
    except OSError:
        return 0
    return count


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nginx_pids(run_dir: Path) -> list[int]:
    """nginx's master (its pid file in the run dir) and its workers."""
    try:
        master = int((run_dir / "nginx.pid").read_text().split()[0])
        workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except (OSError, ValueError, IndexError):
        return []
    return [master, *(int(worker) for worker in workers)]


def run(args: argparse.Namespace, start_clients: StartClients) -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    database_ensure(args.database_url)
    port = args.port or free_port()
    env = production_env(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=args.database_url,
        REDIS_URL=redis_fresh(redis_url),
        PRICE_SOURCE="simulated",
        # With the bench publishing, the feed stays quiet (its first step finds nobody
        # listening and then sleeps): two publishers would queue behind each other.
        PRICE_BROADCAST_SECONDS=str(args.broadcast_seconds if args.publisher == "feed" else 3600),
        WS_PROCESSES=str(args.ws_processes),
        WEB_WORKERS="1",
    )
    run_dir = ROOT / "var" / f"prod-{port}"
    started = time.monotonic()
    prod = Prod(env, Path(args.prod_log))
    try:
        prod.wait_ready()
        pids = ws_pids(run_dir, args.ws_processes)
        print(f"make prod on 127.0.0.1:{port} up in {time.monotonic() - started:.0f}s; {pids}")
        _measure(args, start_clients, port, pids, nginx_pids(run_dir))
    finally:
        prod.stop()


class Publisher:
    """Broadcasts to the ``prices`` group as the feed does, each stamped with its
    publish time (the stamps are how the clients' records are told apart)."""

    def __init__(self, redis_url: str) -> None:
        import asyncio

        from channels_redis.core import RedisChannelLayer

        self.layer = RedisChannelLayer(hosts=[redis_url], prefix="cv:channels")
        self.loop = asyncio.new_event_loop()
        self.stamps: set[str] = set()

    def publish(self) -> None:
        at = datetime.now(UTC).isoformat()
        rows = [{"id": f"bench-{i}", "price_usd": "64250.12000000"} for i in range(10)]
        message = {"type": "prices.broadcast", "prices": rows, "at": at}
        self.loop.run_until_complete(self.layer.group_send("prices", message))
        self.stamps.add(at)

    def close(self) -> None:
        self.loop.run_until_complete(self.layer.flush())
        self.loop.close()


def redis_flushes(url: str) -> int:
    """FLUSHDB calls Redis has answered so far: the machine's Redis is shared, and a
    flush of this bench's database while it records drops the ``prices`` group."""
    import redis

    stats: dict[str, Any] = redis.Redis.from_url(url).info("commandstats")  # type: ignore[assignment]
    return int(stats.get("cmdstat_flushdb", {}).get("calls", 0))


def figures(delays: list[float], expected: int) -> str:
    p50, p99 = percentile(delays, 0.5) * 1000, percentile(delays, 0.99) * 1000
    worst = max(delays, default=float("nan")) * 1000
    lost = expected - len(delays)
    return f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  max {worst:.0f} ms  lost {lost}/{expected}"


def _measure(
    args: argparse.Namespace,
    start_clients: StartClients,
    port: int,
    pids: dict[str, int],
    nginx: list[int],
) -> None:
    origin = f"http://127.0.0.1:{port}"
    opened = time.monotonic()
    clients = start_clients(
        f"ws://127.0.0.1:{port}/ws/prices",
        origin,
        args.clients,
        args.client_procs,
        args.messages,
        "--stamps",
    )
    connected = failed = 0
    for proc in clients:
        _, ok, bad = proc.stdout.readline().split()
        connected, failed = connected + int(ok), failed + int(bad)
    connect_seconds = time.monotonic() - opened
    memory = {name: rss_mb(pid) for name, pid in pids.items()}
    sockets = {name: unix_sockets(pid) for name, pid in pids.items()}
    # Who spends the CPU of a broadcast: each ws process, nginx, the clients.
    groups = {
        **{name: [pid] for name, pid in pids.items()},
        "nginx": nginx,
        "clients": [proc.pid for proc in clients],
    }
    cpu = {name: sum(map(cpu_seconds, group)) for name, group in groups.items()}
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    publisher = Publisher(redis_url)
    flushes = redis_flushes(redis_url)
    go = time.time()
    for proc in clients:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    if args.publisher == "bench":
        time.sleep(0.5)
        for _ in range(args.messages):
            publisher.publish()
            time.sleep(args.interval)
    else:
        time.sleep(args.messages * args.broadcast_seconds)
    time.sleep(GRACE_SECONDS)
    stop = time.time()
    for proc in clients:
        proc.stdin.write("stop\n")
        proc.stdin.flush()
    publisher.close()
    flushes = redis_flushes(redis_url) - flushes
    memory_after = {name: rss_mb(pid) for name, pid in pids.items()}
    cpu = {name: sum(map(cpu_seconds, group)) - cpu[name] for name, group in groups.items()}
    load = os.getloadavg()[0]
    stamps: dict[str, list[float]] = collections.defaultdict(list)
    closed = 0
    for proc in clients:
        result = json.loads(proc.stdout.readline())
        closed += result["closed"]
        for stamp, delays in result["stamps"].items():
            stamps[stamp] += delays
        proc.wait(timeout=60)
    if args.publisher == "bench":
        published = sorted(publisher.stamps)
        label = "published by the bench"
    else:  # the feed's, while recording, each early enough to have arrived
        published = [
            stamp
            for stamp in stamps
            if go <= datetime.fromisoformat(stamp).timestamp() <= stop - GRACE_SECONDS
        ]
        label = "the feed's broadcasts (delay from its stamp, taken before its fills)"
    delays = [delay for stamp in published for delay in stamps.get(stamp, [])]
    each = ", ".join(
        f"{name} {memory[name]} MB connected / {memory_after[name]} MB after "
        f"(~{sockets[name]} sockets)"
        for name in sorted(pids)
    )
    per_broadcast = ", ".join(
        f"{name} {cpu[name] * 1000 / max(len(stamps), 1):.0f}" for name in groups
    )
    print(
        f"{'make prod: nginx + ' + str(len(pids)) + ' uvicorn':<34} clients {connected}/"
        f"{args.clients} (failed {failed}, {connect_seconds:.1f}s to connect, "
        f"{closed} closed while recording)\n"
        f"  {label}, {len(published)}: {figures(delays, connected * len(published))}\n"
        f"  RSS {each}\n"
        f"  CPU ms per broadcast: {per_broadcast}; load average {load:.1f}; "
        f"FLUSHDB calls on the shared Redis meanwhile: {flushes}"
    )
