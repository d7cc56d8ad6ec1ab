"""What `make prod` runs, worked out from the environment (the supervisor's pure part).

Nothing here starts a process: ``deploy/prod.py`` does. This module reads the
variables (SPEC §1), refuses a missing or malformed one with one line naming it,
builds each child's command line and environment, and renders nginx's configuration
from ``deploy/nginx.conf.template``. Standard library only, like the supervisor.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
NGINX = "/usr/sbin/nginx"  # Debian's package
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]")  # noqa: S104 - names, not a bind
# The ws process's flags, the same as the Procfile's `ws` line (see README, Benchmarks).
UVICORN_WS_FLAGS = (
    "--ws",
    "websockets-sansio",
    "--ws-per-message-deflate",
    "false",
    "--ws-max-size",
    "65536",
    "--no-access-log",
)


class SetupError(Exception):
    """A variable make prod cannot run with; the message is the one line shown."""


@dataclass(frozen=True)
class ProdSettings:
    host: str
    port: int
    web_workers: int
    ws_processes: int
    database_url: str
    redis_url: str
    proxies_in_front: int  # TRUSTED_PROXY_COUNT as given: proxies before our nginx
    tls_cert: str = ""
    tls_key: str = ""

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert)

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def probe_host(self) -> str:
        """Where the supervisor itself reaches the entry (a wildcard bind answers on loopback)."""
        return "127.0.0.1" if self.host in WILDCARD_HOSTS else self.host

    @property
    def url(self) -> str:
        return f"{self.scheme}://{url_host(self.host)}:{self.port}/"


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def read_dotenv(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a ``.env`` file (the settings read it too); comments skipped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        values[name.strip()] = value.strip().strip("'\"")
    return values


def _text(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, "").strip() or default


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = _text(env, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SetupError(f"{name}: expected a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SetupError(f"{name}: expected {minimum} to {maximum}, got {value}")
    return value


def prod_settings(env: Mapping[str, str]) -> ProdSettings:
    """The supervisor's own variables, checked. Raises SetupError naming the variable."""
    database_url = _text(env, "DATABASE_URL")
    if not database_url:
        raise SetupError(
            "DATABASE_URL is not set: make prod needs PostgreSQL, "
            "e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/cryptovault"
        )
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise SetupError(f"DATABASE_URL: make prod needs a postgres:// URL, got {database_url!r}")
    redis_url = _text(env, "REDIS_URL")
    if not redis_url:
        raise SetupError(
            "REDIS_URL is not set: make prod needs Redis, e.g. REDIS_URL=redis://127.0.0.1:6379/0"
        )
    cert, key = _text(env, "TLS_CERT"), _text(env, "TLS_KEY")
    if bool(cert) != bool(key):
        missing = "TLS_KEY" if cert else "TLS_CERT"
        raise SetupError(f"{missing} is not set: HTTPS needs both TLS_CERT and TLS_KEY")
    for name, path in (("TLS_CERT", cert), ("TLS_KEY", key)):
        if path and not Path(path).is_file():
            raise SetupError(f"{name}: no such file {path!r}")
    return ProdSettings(
        host=_text(env, "HOST", "127.0.0.1"),
        port=_integer(env, "PORT", 8000, 1, 65535),
        web_workers=_integer(env, "WEB_WORKERS", 2, 1, 256),
        ws_processes=_integer(env, "WS_PROCESSES", 2, 1, 256),
        database_url=database_url,
        redis_url=redis_url,
        proxies_in_front=_integer(env, "TRUSTED_PROXY_COUNT", 0, 0, 16),
        tls_cert=str(Path(cert).resolve()) if cert else "",
        tls_key=str(Path(key).resolve()) if key else "",
    )


def allowed_hosts(host: str) -> list[str]:
    """The names the entry answers to: HOST, and the loopback names for a loopback or
    wildcard bind (set ALLOWED_HOSTS for a public name)."""
    names = [] if host in WILDCARD_HOSTS else [url_host(host)]
    if host in WILDCARD_HOSTS or url_host(host) in LOOPBACK_NAMES:
        names += [name for name in LOOPBACK_NAMES if name not in names]
    return names


def child_environment(
    settings: ProdSettings, env: Mapping[str, str], secret_keys: Mapping[str, str]
) -> dict[str, str]:
    """The environment of every Django child: production mode behind our nginx.

    Values the operator gave win, except DEBUG (always off) and TRUSTED_PROXY_COUNT
    (the given count plus our nginx). Without TLS the entry is plain HTTP, so the
    HTTPS redirect and secure cookies are off unless set (a browser on
    http://127.0.0.1 could not log in otherwise); with TLS both stay on.
    """
    child = dict(env)
    child.pop("DJANGO_SETTINGS_MODULE", None)
    origin_hosts = allowed_hosts(settings.host)
    defaults = {
        "ALLOWED_HOSTS": ",".join(origin_hosts),
        "CSRF_TRUSTED_ORIGINS": ",".join(
            f"{scheme}://{name}:{settings.port}"
            for name in origin_hosts
            for scheme in ("https", "http")
        ),
        "APP_URL": f"{settings.scheme}://{url_host(settings.probe_host)}:{settings.port}",
        "SECURE_SSL_REDIRECT": "true" if settings.tls else "false",
        "SECURE_COOKIES": "true" if settings.tls else "false",
        **secret_keys,
    }
    for name, value in defaults.items():
        if not _text(child, name):
            child[name] = value
    child.update(
        DEBUG="false",
        TRUSTED_PROXY_COUNT=str(settings.proxies_in_front + 1),
        TASK_QUEUE="celery",
        PYTHONUNBUFFERED="1",  # lines reach the prefixed output as they are written
    )
    return child


def commands(settings: ProdSettings, run_dir: Path, python: str) -> list[tuple[str, list[str]]]:
    """Each child's name and command line, in start order (nginx last: it needs the sockets)."""
    bin_dir = Path(python).parent
    children: list[tuple[str, list[str]]] = [
        (
            "web",
            [
                str(bin_dir / "gunicorn"),
                "cryptovault.wsgi:application",
                f"--bind=unix:{run_dir / 'web.sock'}",
                f"--workers={settings.web_workers}",
                "--worker-class=gthread",
                "--threads=4",
                "--graceful-timeout=8",
                "--no-control-socket",  # its default path in $HOME would be shared by two runs
            ],
        )
    ]
    for number in range(1, settings.ws_processes + 1):
        uvicorn = [str(bin_dir / "uvicorn"), "cryptovault.asgi:application"]
        uds = ["--uds", str(run_dir / f"ws.{number}.sock"), "--timeout-graceful-shutdown", "5"]
        children.append((f"ws.{number}", [*uvicorn, *uds, *UVICORN_WS_FLAGS]))
    for number in (1, 2):
        children.append((f"feed.{number}", [python, "manage.py", "run_price_feed"]))
    worker = [str(bin_dir / "celery"), "-A", "cryptovault", "worker", "--beat"]
    options = ["--loglevel=info", "--concurrency=2"]
    schedule = f"--schedule={run_dir / 'celerybeat-schedule'}"  # not in the checkout
    children.append(("worker", [*worker, *options, schedule]))
    nginx = [NGINX, "-e", "stderr", "-p", str(run_dir), "-c"]
    children.append(("nginx", [*nginx, str(run_dir / "nginx.conf")]))
    return children


def nginx_user(paths: list[Path]) -> str:
    """The ``user`` directive: as root, workers drop to nobody when they can reach the
    sockets and static files (every directory above them searchable by others)."""
    if os.geteuid() != 0:
        return "# (not root: workers run as the user that started nginx)"
    for path in paths:
        for directory in [path, *path.parents]:
            if directory.exists() and not directory.stat().st_mode & 0o001:
                return "user root;  # the checkout is not searchable by others"
    return "user nobody nogroup;"


def nginx_fields(
    settings: ProdSettings, run_dir: Path, static_root: Path, *, user: str, rlimit_nofile: int
) -> dict[str, str]:
    ws_servers = "\n".join(
        f"        server unix:{run_dir / f'ws.{number}.sock'} fail_timeout=0;"
        for number in range(1, settings.ws_processes + 1)
    )
    listen = f"{url_host(settings.host)}:{settings.port}"
    tls = ""
    if settings.tls:
        listen += " ssl http2"
        tls = "\n".join(
            f"        {line}"
            for line in (
                f"ssl_certificate {settings.tls_cert};",
                f"ssl_certificate_key {settings.tls_key};",
                "ssl_protocols TLSv1.2 TLSv1.3;",
                "ssl_prefer_server_ciphers off;",
                "ssl_session_cache shared:cryptovault_tls:10m;",
                "ssl_session_timeout 1d;",
                "ssl_session_tickets off;",
                "# Plain HTTP sent to this TLS port: nginx's code 497, answered by a redirect.",
                "error_page 497 =301 https://$host:$server_port$request_uri;",
            )
        )
    # One listening socket per worker: the kernel spreads connections evenly, so no
    # worker is left holding most of 10,000 websockets (and over worker_connections).
    listen += " reuseport"
    return {
        "user_directive": user,
        "rlimit_nofile": str(rlimit_nofile),
        "run_dir": str(run_dir),
        "listen": listen,
        "tls": tls,
        "web_socket": f"unix:{run_dir / 'web.sock'}",
        "ws_servers": ws_servers,
        "forwarded_proto": (
            "$cryptovault_forwarded_proto" if settings.proxies_in_front else "$scheme"
        ),
        "static_root": str(static_root),
    }


_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render(template: str, fields: Mapping[str, str]) -> str:
    """Fill the template's ``{{ name }}`` fields; an unknown or unused field is an error."""
    used: set[str] = set()

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fields:
            raise KeyError(f"nginx template field {name!r} has no value")
        used.add(name)
        return fields[name]

    text = _FIELD.sub(field, template)
    unused = set(fields) - used
    if unused:
        raise KeyError(f"fields not in the nginx template: {sorted(unused)}")
    return text
