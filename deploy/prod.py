"""`make prod`: CryptoVault's production process set, on one machine, in the foreground.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cryptovault \\
    REDIS_URL=redis://127.0.0.1:6379/0 PORT=8000 make prod

runs ``migrate`` and ``collectstatic``, then these children, each one's output
prefixed with its name (honcho-style):

- ``nginx``: the one entry on HOST:PORT (HTTPS with TLS_CERT and TLS_KEY). ``/ws/``
  goes to the ws processes, ``/static/`` is read from disk, the rest goes to ``web``.
  Its configuration is ``deploy/nginx.conf.template`` filled in (``deploy/config.py``)
  and written to ``var/prod-<PORT>/nginx.conf``.
- ``web``: gunicorn, WEB_WORKERS gthread workers, on a unix socket.
- ``ws.1`` ... ``ws.N``: WS_PROCESSES uvicorn processes, one unix socket each.
- ``feed.1``, ``feed.2``: ``manage.py run_price_feed``; one leads (``/health`` names it),
  the other takes over within the lock's lifetime when it dies.
- ``worker``: Celery's worker with its beat (emails, wallet receipts, pruning).

Everything this run writes lives in ``var/prod-<PORT>/`` (sockets, pid file, the
generated nginx.conf, nginx's temp files, the access log), so two runs on two ports
never collide. A child that dies is started again after a back-off (1 s, doubling to
30 s; back to 1 s once it has run 30 s). SIGTERM or SIGINT stops every child (SIGTERM
to its process group, SIGKILL after 10 s) and exits 0. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: `python deploy/prod.py`

from deploy import config, machine  # noqa: E402

STOP_GRACE_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 30.0  # a child that ran this long starts again after the first back-off
READY_TIMEOUT_SECONDS = 120.0
WANTED_OPEN_FILES = 40_000  # 10,000 websockets through nginx need 2 each
NGINX = config.NGINX


class Output:
    """Lines from many children, one at a time, each prefixed with its name."""

    def __init__(self, names: list[str]) -> None:
        self.width = max(len(name) for name in names)
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self.lock:
            sys.stdout.write(f"{name.ljust(self.width)} | {text.rstrip()}\n")
            sys.stdout.flush()

    def pump(self, name: str, stream: IO[bytes]) -> threading.Thread:
        def copy() -> None:
            for raw in iter(stream.readline, b""):
                self.line(name, raw.decode("utf-8", "replace"))
            stream.close()

        thread = threading.Thread(target=copy, name=f"output-{name}", daemon=True)
        thread.start()
        return thread


class Child:
    """One supervised process, in its own process group so that stopping it stops its
    own children too (gunicorn's workers, Celery's pool)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], output: Output) -> None:
        self.name, self.argv, self.env, self.output = name, argv, env, output
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.failures = 0
        self.restart_at: float | None = None
        self.pumps: list[threading.Thread] = []

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own command lines
            self.argv,
            preexec_fn=machine.stop_with_parent,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        self.pumps.append(self.output.pump(self.name, self.process.stdout))
        self.started_at = time.monotonic()
        self.restart_at = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def exited(self, now: float) -> None:
        """Note an unexpected exit, clear what it left behind and schedule a restart."""
        assert self.process is not None
        code = self.process.returncode
        self.signal_group(signal.SIGKILL)  # its own children, if any outlived it
        if now - self.started_at >= STABLE_SECONDS:
            self.failures = 0
        delay = min(FIRST_BACKOFF_SECONDS * 2**self.failures, MAX_BACKOFF_SECONDS)
        self.failures += 1
        self.restart_at = now + delay
        self.output.line(self.name, f"exited with code {code}; starting it again in {delay:g} s")


class Supervisor:
    def __init__(self, settings: config.ProdSettings, env: dict[str, str]) -> None:
        self.settings = settings
        self.env = env
        self.run_dir = ROOT / "var" / f"prod-{settings.port}"
        self.stopping = threading.Event()
        argvs = config.commands(settings, self.run_dir, sys.executable)
        self.output = Output(["migrate", *(name for name, _ in argvs)])
        self.children = [Child(name, argv, env, self.output) for name, argv in argvs]

    def on_signal(self, signum: int, _frame: object) -> None:
        if not self.stopping.is_set():
            self.output.line("prod", f"{signal.Signals(signum).name}: stopping every process")
        self.stopping.set()

    def step(self, name: str, argv: list[str]) -> bool:
        """Run a release step to its end (or until a stop is asked); True if it succeeded."""
        child = Child(name, argv, self.env, self.output)
        child.start()
        assert child.process is not None
        while child.process.poll() is None:
            if self.stopping.wait(0.1):
                child.signal_group(signal.SIGTERM)
                child.process.wait()
        for pump in child.pumps:
            pump.join(timeout=2)
        return child.process.returncode == 0 and not self.stopping.is_set()

    def prepare(self) -> int:
        """Write nginx's configuration and check it; 0 when nginx accepts it."""
        (self.run_dir / "tmp").mkdir(parents=True, exist_ok=True)
        static_root = ROOT / "var" / "staticfiles"
        for stale in self.run_dir.glob("*.sock"):
            stale.unlink()
        fields = config.nginx_fields(
            self.settings,
            self.run_dir,
            static_root,
            user=config.nginx_user([self.run_dir, static_root]),
            rlimit_nofile=machine.raise_open_files(WANTED_OPEN_FILES),
        )
        conf = config.render(config.TEMPLATE.read_text(), fields)
        (self.run_dir / "nginx.conf").write_text(conf)
        nginx = self.children[-1].argv
        checked = subprocess.run(  # noqa: S603 - nginx -t on the file just written
            [*nginx, "-t", "-q"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        for text in checked.stderr.splitlines():
            self.output.line("nginx", text)
        return checked.returncode

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.on_signal)
        python = sys.executable
        for name, argv in (
            ("migrate", [python, "manage.py", "migrate", "--noinput"]),
            ("migrate", [python, "manage.py", "collectstatic", "--noinput", "-v", "1"]),
        ):
            if not self.step(name, argv):
                return 0 if self.stopping.is_set() else 1
        if self.prepare() != 0:
            return 1
        for child in self.children[:-1]:
            child.start()
        if not self.wait_for_sockets():
            self.stop()
            return 0
        self.children[-1].start()  # nginx, once its upstreams listen: no 502 at start
        threading.Thread(target=self.announce_when_ready, daemon=True).start()
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.start()
                elif not child.running():
                    child.exited(now)
        self.stop()
        return 0

    def wait_for_sockets(self) -> bool:
        """Wait (up to a minute) for gunicorn's and uvicorn's sockets; False if stopped."""
        names = ["web.sock", *(f"ws.{n}.sock" for n in range(1, self.settings.ws_processes + 1))]
        deadline = time.monotonic() + 60
        while not all((self.run_dir / name).exists() for name in names):
            if self.stopping.wait(0.2):
                return False
            if time.monotonic() > deadline:
                self.output.line("prod", "the web and ws sockets are late; starting nginx anyway")
                break
        return True

    def stop(self) -> None:
        for child in reversed(self.children):  # nginx first: no new requests come in
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.output.line(
                    child.name, f"still running after {STOP_GRACE_SECONDS:g} s: killed"
                )
        for child in self.children:
            child.signal_group(signal.SIGKILL)  # whatever is left in each group
            if child.process is not None:
                child.process.wait()
            for pump in child.pumps:
                pump.join(timeout=2)
        self.output.line("prod", "stopped")

    def announce_when_ready(self) -> None:
        """Print the one serving line once /health/live answers through nginx."""
        settings = self.settings
        host = config.url_host(settings.probe_host)
        probe = f"{settings.scheme}://{host}:{settings.port}/health/live"
        unverified = ssl._create_unverified_context()  # noqa: S323 - loopback, self-signed is fine
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(probe, timeout=2, context=unverified) as answer:  # noqa: S310
                    if answer.status == 200:
                        message = f"CryptoVault (production topology) is serving on {settings.url}"
                        self.output.line("prod", message)
                        return
            except OSError:
                pass
            self.stopping.wait(0.5)
        if not self.stopping.is_set():
            self.output.line("prod", f"{probe} did not answer within {READY_TIMEOUT_SECONDS:g} s")


def secret(env: dict[str, str], name: str, file_name: str) -> str:
    given = env.get(name, "").strip()
    if given:
        return given
    path = ROOT / "var" / file_name
    notice = "using" if path.exists() else "generated"
    print(f"make prod: {name} not set; {notice} the one kept in var/{file_name}", flush=True)
    from cryptovault.config import Config  # the embedded mode's own keeper of local secrets

    return Config.local_secret(path)


def main() -> int:
    env = {**config.read_dotenv(ROOT / ".env"), **os.environ}
    try:
        settings = config.prod_settings(env)
    except config.SetupError as error:
        print(f"make prod: {error}", file=sys.stderr)
        return 2
    if not Path(NGINX).is_file():
        print(f"make prod: {NGINX} not found (apt-get install nginx)", file=sys.stderr)
        return 2
    run_lock = machine.lock_run_dir(ROOT / "var" / f"prod-{settings.port}")
    if run_lock is None:
        print(f"make prod: another make prod is running on port {settings.port}", file=sys.stderr)
        return 2
    if machine.port_in_use(settings.host, settings.port):
        print(
            f"make prod: {settings.host}:{settings.port} is already in use (PORT= picks another)",
            file=sys.stderr,
        )
        return 2
    keys = {
        "SECRET_KEY": secret(env, "SECRET_KEY", "prod_secret_key"),
        "JWT_SIGNING_KEY": secret(env, "JWT_SIGNING_KEY", "prod_jwt_signing_key"),
    }
    child_env = config.child_environment(settings, env, keys)
    return Supervisor(settings, child_env).run()


if __name__ == "__main__":
    sys.exit(main())
