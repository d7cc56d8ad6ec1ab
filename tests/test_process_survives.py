"""No input kills a server process (issue 11, finding 1).

py_ecc, imported by eth-account on the first wallet signature check, raises the
interpreter's recursion limit to 100,000; a body of nested ``[`` then overflowed the
C stack in the JSON decoder and the process died with SIGSEGV. These tests send the
same requests to real server processes (Channels' ASGI server, as `make run` serves,
and gunicorn, as production does) and check that the process answers and lives.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.processes import child_env, run_manage, run_python
from tests.servers import LiveServer, asgi_server, free_port, gunicorn_command, served

DEEP_BODY = b"[" * 200_000
ADDRESS = "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wallet_login_attempt(base: str, host: str) -> int:
    """A well-formed SIWE message with a garbage signature: the server loads eth-account
    to recover the signer (and so py_ecc, which raises the recursion limit)."""
    now = datetime.now(UTC)
    stamp = now.isoformat().replace("+00:00", "Z")
    expires = (now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    message = (
        f"{host} wants you to sign in with your Ethereum account:\n{ADDRESS}\n\n"
        "Log in to CryptoVault.\n\n"
        f"URI: http://{host}/wallet/\nVersion: 1\nChain ID: 1\nNonce: abcdefgh12345678\n"
        f"Issued At: {stamp}\nExpiration Time: {expires}"
    )
    body = json.dumps({"message": message, "signature": "0x" + "11" * 65}).encode()
    return post(f"{base}/api/wallets/login", body)[0]


def alive(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health/live", timeout=5) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def assert_survives_deep_json(base: str, host: str, process: subprocess.Popen) -> None:
    # Given: the process has checked a wallet signature (eth-account and py_ecc loaded)
    assert wallet_login_attempt(base, host) == 400
    # When: 200 KB of nested brackets arrive, twice (the second one on a warm process)
    for _ in range(2):
        status, answer = post(f"{base}/api/auth/login", DEEP_BODY)
        # Then: a clear 400, and the process is still there and serving
        assert (status, answer["code"]) == (400, "invalid_json")
    assert process.poll() is None
    assert alive(base)


@pytest.mark.timeout(120)
def test_asgi_server_survives_deep_json_after_a_wallet_login(tmp_path: Path) -> None:
    with asgi_server(tmp_path) as server:
        assert_survives_deep_json(server.url, f"127.0.0.1:{server.port}", server.process)


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Production's HTTP tier: gunicorn, one sync worker."""
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    env = child_env(DATABASE_URL=database_url, PRICE_SOURCE="simulated", REDIS_URL=None)
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    try:
        with served(
            gunicorn_command(port, "--workers", "1"), url=url, env=env, log_path=log_path
        ) as process:
            yield LiveServer(url, "127.0.0.1", port, database_url, process)
    finally:
        # A worker that died (SIGSEGV) is restarted by the arbiter: the log says so.
        assert "Worker (pid" not in log_path.read_text()


@pytest.mark.timeout(120)
def test_gunicorn_worker_survives_deep_json_after_a_wallet_login(gunicorn_server) -> None:
    server = gunicorn_server
    assert_survives_deep_json(server.url, f"127.0.0.1:{server.port}", server.process)


def test_checking_a_signature_leaves_the_recursion_limit_alone() -> None:
    result = run_python(
        "import sys\n"
        "before = sys.getrecursionlimit()\n"
        "from chains import siwe\n"
        "try:\n"
        "    siwe.recover_signer('hello', '0x' + '11' * 65)\n"
        "except Exception:\n"
        "    pass\n"
        "import py_ecc  # loaded by now\n"
        "print(before, sys.getrecursionlimit())\n",
        env=child_env(),
    )
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.split()
    assert after == before


def test_a_request_puts_back_a_limit_someone_raised() -> None:
    result = run_python(
        "import sys\n"
        "from django.test import Client\n"
        "start = sys.getrecursionlimit()\n"
        "sys.setrecursionlimit(100_000)\n"
        "Client().get('/health/live')\n"
        "print(start, sys.getrecursionlimit())\n",
        env=child_env(),
    )
    assert result.returncode == 0, result.stderr
    start, after = result.stdout.split()
    assert after == start
