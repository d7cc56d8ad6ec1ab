"""What the topology tests use to talk to `make prod` and to look at its processes.

HTTP goes through nginx from a chosen loopback source address (127.0.0.x): nginx puts
the real peer in X-Forwarded-For, so each test is its own client IP and one test's
rate-limit counts never reach another's. Processes are read from ``/proc``: the
process tree under `make prod`, which process owns a TCP connection (the one that
sent an email), and how many proxied websocket connections each uvicorn holds.
"""

from __future__ import annotations

import email
import http.client
import json
import os
import re
import socket
import time
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

PASSWORD = "topology-passphrase-7351"  # pragma: allowlist secret (every test account)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    source: str = "127.0.0.1",
    timeout: float = 30,
) -> Answer:
    """One HTTP request to ``url`` (``http://host:port``) from ``source``; JSON in and out."""
    host, _, port = url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=timeout, source_address=(source, 0)
    )
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return Answer(response.status, answer_headers, parsed)


def prices_socket(url: str) -> ClientConnection:
    """A client of ``/ws/prices`` through the entry at ``url``, from one of our pages."""
    ws_url = url.replace("http://", "ws://", 1) + "/ws/prices"
    return connect(ws_url, origin=Origin(url), proxy=None, open_timeout=10, legacy=True)


def next_of_type(socket: ClientConnection, kind: str, within: float) -> dict[str, Any]:
    """The next message of type ``kind`` that arrives within ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        message = json.loads(socket.recv(timeout=left))
        if message["type"] == kind:
            return dict(message)
    raise TimeoutError(f"no {kind!r} message within {within} s")


# ---- processes ----------------------------------------------------------------------


def parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The name (2nd field) may hold spaces and parentheses: split after its last ")".
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> set[int]:
    """Every live process under ``root`` (not ``root`` itself)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = parent_pid(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of ``pid`` in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for name in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def tcp_connection_owner(local_port: int, remote_port: int) -> int | None:
    """The pid holding the loopback TCP connection from ``local_port`` to ``remote_port``."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (
                int(local.rsplit(":", 1)[1], 16) == local_port
                and int(remote.rsplit(":", 1)[1], 16) == remote_port
            ):
                inode = fields[9]
    if inode is None:
        return None
    for entry in os.listdir("/proc"):
        if entry.isdigit() and inode in _socket_inodes(int(entry)):
            return int(entry)
    return None


def unix_connections(pid: int, under: Path) -> int:
    """How many connected unix sockets bound under ``under`` (the accepted side of a
    server's ``--uds`` socket carries its path) ``pid`` holds: its proxied clients."""
    connected = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[5] == "03" and fields[7].startswith(str(under)):
            connected.add(fields[6])
    return len(connected & _socket_inodes(pid))


# ---- a real SMTP server that knows which process sent each message --------------------


@dataclass
class Received:
    sender_pid: int | None
    sender_command: str
    message: email.message.EmailMessage


@dataclass
class SmtpSink:
    """aiosmtpd on a free loopback port; ``messages`` in arrival order."""

    port: int = 0
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Still connected: the client's end of this connection names the sending process.
        pid = tcp_connection_owner(local_port=session.peer[1], remote_port=self.port)
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(Received(pid, command_line(pid) if pid else "", parsed))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if m.message["To"] == address]


def smtp_sink_start() -> tuple[Controller, SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    return controller, sink


def verification_code(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    found = re.search(r"verification code is:\s*(\d{6})\b", part.get_content())
    assert found, f"no 6-digit code in: {part.get_content()}"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_refuses(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except OSError:
        return True
