"""`make prod` started for the topology tests: its own database, a free port, a log file.

The instance gets a fresh PostgreSQL database named after DATABASE_URL's with a
``_topology`` suffix (dropped by :func:`prod_stop`), the Redis database of REDIS_URL
emptied first, an SMTP server to send its emails to, the simulated prices broadcast
every 2 s, and its whole output in a log file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from tests.processes import ROOT
from tests.topology.support import alive, call, command_line, descendants, free_port

START_TIMEOUT = 180  # setup, assets, migrations and collectstatic on a fresh database
BROADCAST_SECONDS = 2
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/cryptovault"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


@dataclass
class Prod:
    """The running `make prod`: where it serves, its processes, its log."""

    process: subprocess.Popen[bytes]
    url: str
    host: str
    port: int
    run_dir: Path
    log_path: Path
    admin_url: str  # the maintenance database, to drop the instance's
    database: str
    manage_env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, word: str = "") -> list[int]:
        """The live processes under `make prod` whose command line holds ``word``."""
        found = descendants(self.process.pid)
        return sorted(pid for pid in found if alive(pid) and word in command_line(pid))

    def health(self) -> dict[str, Any]:
        answer = call(self.url, "GET", "/health")
        assert isinstance(answer.body, dict), answer
        return answer.body

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``manage.py <args>`` on the instance's database (embedded settings otherwise)."""
        return subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", *args],
            cwd=ROOT,
            env=self.manage_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", admin_url, "-c", sql], check=True, capture_output=True)


def _child_env(**values: str) -> dict[str, str]:
    """This environment without pytest's and the test switches, plus ``values``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST", "CRYPTOVAULT_", "DJANGO_SETTINGS"))
    }
    env.update(values)
    return env


def prod_start(log_path: Path, *, smtp_port: int, fresh_database: bool = True) -> Prod:
    """Start `make prod` in its own process group; return once nginx answers /health/live.
    ``fresh_database=False`` runs it again on the database a stopped instance left."""
    given = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(given if given.startswith("postgres") else PG_DEFAULT)
    database = (parts.path.lstrip("/") or "cryptovault") + "_topology"
    database_url = urlunsplit(parts._replace(path=f"/{database}"))
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    redis_url = os.environ.get("REDIS_URL") or REDIS_DEFAULT
    if fresh_database:
        _psql(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _psql(admin_url, f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(redis_url).flushdb()
    port = free_port()
    env = _child_env(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PRICE_SOURCE="simulated",
        PRICE_BROADCAST_SECONDS=str(BROADCAST_SECONDS),
        EMAIL_SERVICE="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="false",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: nothing outlives the session
        )
    manage_env = _child_env(DATABASE_URL=database_url, DEBUG="true", PRICE_SOURCE="simulated")
    manage_env.pop("REDIS_URL", None)
    url = f"http://127.0.0.1:{port}"
    run_dir = ROOT / "var" / f"prod-{port}"
    prod = Prod(process, url, "127.0.0.1", port, run_dir, log_path, admin_url, database, manage_env)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if call(url, "GET", "/health/live", timeout=2).status == 200:
                return prod
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            state = "hung" if process.poll() is None else f"exited with {process.returncode}"
            prod_stop(prod)
            tail = "\n".join(prod.log().splitlines()[-200:])
            raise RuntimeError(f"make prod {state}; its last lines:\n{tail}")
        time.sleep(0.5)


def prod_stop(prod: Prod, *, drop_database: bool = True) -> None:
    """SIGTERM to make; after 20 s, SIGKILL to whatever is left of it and its children
    (each in a process group of its own). Then its run directory and database go."""
    left_behind = descendants(prod.process.pid)  # each child has its own process group
    if prod.process.poll() is None:
        prod.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            prod.process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(prod.process.pid, signal.SIGKILL)
    prod.process.wait(timeout=10)
    for pid in left_behind:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if drop_database:
        _psql(prod.admin_url, f'DROP DATABASE IF EXISTS "{prod.database}" WITH (FORCE)')
    shutil.rmtree(prod.run_dir, ignore_errors=True)  # its output is in the pytest log file
