"""A real CryptoVault server (Channels' ASGI runserver) in a child process.

For tests that need what the in-process test client and pytest-django's WSGI live
server cannot give: websockets over a real socket and the embedded price feed.
The server gets its own SQLite file (or the services-mode database URL with a
``_live`` suffix is NOT used: a file keeps it independent of the test database).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.processes import ROOT, child_env, run_manage


@dataclass
class LiveServer:
    url: str
    host: str
    port: int
    database_url: str
    process: subprocess.Popen[str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(
    command: list[str], *, url: str, env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[str]]:
    """Run ``python <command>`` from the project root until ``url`` answers /health/live;
    stop it afterwards. A process that dies or never answers raises with its log."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/live", timeout=1):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log_path.read_text()}") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def gunicorn_command(port: int, *options: str) -> list[str]:
    """Production's HTTP tier on loopback, with gunicorn ``options`` (workers, class)."""
    bind = f"127.0.0.1:{port}"
    return ["-m", "gunicorn", "cryptovault.wsgi:application", "--bind", bind, *options]


@contextmanager
def asgi_server(tmp_path: Path, **overrides: str | None) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite file and serve it with the embedded price feed running."""
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = child_env(
        DATABASE_URL=database_url,
        PRICE_SOURCE="simulated",
        PRICE_FEED_EMBEDDED="true",
        PRICE_BROADCAST_SECONDS="1",
        PRICE_REFRESH_SECONDS="1",
        PRICE_CACHE_SECONDS="1",
        **overrides,
    )
    migrated = run_manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    command = ["manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    url = f"http://127.0.0.1:{port}"
    with served(command, url=url, env=env, log_path=tmp_path / "server.log") as process:
        yield LiveServer(url, "127.0.0.1", port, database_url, process)
