"""A local EVM for tests and development: ganache (from npm) on loopback.

    npx ganache --chain.chainId 1337 --wallet.deterministic

Its deterministic accounts are funded with 1,000 ETH each; the first one's key is
public knowledge (ganache's documented mnemonic) and must never hold real money.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "node_modules" / "ganache" / "dist" / "node" / "cli.js"
CHAIN_ID = 1337
# ganache --wallet.deterministic: "myth like bonus scare over problem client lizard ..."
ACCOUNTS = [
    (
        "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1",
        "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
    ),
    (
        "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0",
        "0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def ganache() -> Iterator[str]:
    """Start ganache on a free loopback port; yields its JSON-RPC URL."""
    if not CLI.exists():
        raise RuntimeError("ganache is not installed: run `npm ci` (make test does)")
    port = _free_port()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed for the local EVM (ganache)")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, no user input
        [
            node,
            str(CLI),
            "--chain.chainId",
            str(CHAIN_ID),
            "--wallet.deterministic",
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--logging.quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
                if requests.post(url, json=body, timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ganache did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
