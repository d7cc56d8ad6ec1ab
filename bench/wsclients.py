"""Websocket clients for bench/markets_ws.py, run in a process of their own.

Opens ``--clients`` connections to ``url``, prints ``ready <connected> <failed>``,
waits for a line on stdin (the publisher is about to publish), then records for each
``prices`` message the delay between its ``at`` (the publisher's clock, same machine)
and its arrival, until ``--messages`` arrived on every connection or ``--timeout``
passed. Prints one JSON line of results. With ``--stamps`` (messages published by
someone else, e.g. the price feed of ``make prod``), every ``prices`` message is
recorded under its ``at`` stamp until a second line on stdin, so the bench can tell
which broadcasts each connection missed.

The clients share the machine's two cores with the server, so they must cost as
little as possible per message, or they, not the server, set the delays measured: a
client here is a bare asyncio protocol on uvloop (RFC 6455 handshake, unmasked server
frames parsed from the buffer, pings answered, only the ``at`` stamp read) rather
than a full websocket library. It offers permessage-deflate as browsers do, and
counts a connection as failed if the server accepts it (compressed frames are not read).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import struct
import sys
import time
from datetime import datetime
from typing import cast
from urllib.parse import urlsplit

import uvloop

PRICES_PREFIXES = (b'{"type": "prices"', b'{"type":"prices"')


class Shared:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.recording = False
        self.delays: list[float] = []
        self.connected = 0
        self.failed = 0
        self.done = 0
        self.all_done = asyncio.Event()
        self.total = 0
        self.stamps: dict[str, list[float]] | None = None  # --stamps: delays by "at"
        self.closed = 0  # connections lost after the handshake

    def finished(self) -> None:
        self.done += 1
        if self.total and self.done >= self.total:
            self.all_done.set()


class Client(asyncio.Protocol):
    def __init__(self, shared: Shared, request: bytes) -> None:
        self.shared = shared
        self.request = request
        self.buffer = bytearray()
        self.upgraded = False
        self.received = 0
        self.opened = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.fragments = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
            return
        if not self.upgraded:
            return
        self.shared.closed += 1
        if self.received < self.shared.expected:
            self.received = self.shared.expected  # lost: counted by the bench as missing
            self.shared.finished()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            if not head.startswith(b"http/1.1 101") or b"permessage-deflate" in head:
                # Compressed frames are not read here: a server that negotiates
                # permessage-deflate cannot be measured by these clients.
                self.opened.set_exception(ConnectionError(head[:200].decode()))
                assert self.transport is not None
                self.transport.close()
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            length, offset = second & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = struct.unpack_from("!H", buffer, 2)[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < offset + length:
                return
            payload = bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            self._frame(first & 0x80, first & 0x0F, payload)

    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        if opcode == 0x9:  # ping: a pong with the same payload, masked with a zero key
            self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            return
        if opcode == 0x8:
            self.transport.close()
            return
        if opcode in (0x1, 0x0):
            self.fragments += payload
            if fin:
                self._message(bytes(self.fragments))
                self.fragments.clear()

    def _message(self, raw: bytes) -> None:
        arrived = time.time()
        shared = self.shared
        if not shared.recording or self.received >= shared.expected:
            return
        if not raw.startswith(PRICES_PREFIXES):
            return
        at = raw.rfind(b'"at": "')
        at = at + 7 if at >= 0 else raw.rfind(b'"at":"') + 6
        stamp = raw[at : raw.index(b'"', at)].decode()
        sent = datetime.fromisoformat(stamp).timestamp()
        if shared.stamps is not None:
            shared.stamps.setdefault(stamp, []).append(arrived - sent)
            return
        shared.delays.append(arrived - sent)
        self.received += 1
        if self.received == shared.expected:
            shared.finished()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--origin", required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--stamps", action="store_true", help="record until a 2nd stdin line")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.clients + 1024)), hard))

    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    request = (
        f"GET {url.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {args.origin}\r\n"
        # Offered as browsers do; the server under test declines (see the Procfile).
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    ).encode()
    shared = Shared(args.messages)
    if args.stamps:
        shared.stamps = {}
    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []

    async def open_one() -> None:
        try:
            transport, protocol = await loop.create_connection(
                lambda: Client(shared, request), host, port
            )
            transports.append(transport)
            await asyncio.wait_for(protocol.opened, 60)
            shared.connected += 1
        except (OSError, TimeoutError):
            shared.failed += 1

    opening = []
    for _ in range(args.clients):
        opening.append(asyncio.create_task(open_one()))
        await asyncio.sleep(0.002)  # a steady connect rate, as real clients arrive
    await asyncio.gather(*opening)
    shared.total = shared.connected
    if shared.done >= shared.total:  # every connection already closed
        shared.all_done.set()
    print(f"ready {shared.connected} {shared.failed}", flush=True)

    await loop.run_in_executor(None, sys.stdin.readline)
    shared.recording = True
    shared.closed = 0
    if shared.stamps is not None:
        await loop.run_in_executor(None, sys.stdin.readline)
    elif shared.total:
        with contextlib.suppress(TimeoutError):  # the bench counts what did not arrive
            await asyncio.wait_for(shared.all_done.wait(), args.timeout)
    for transport in transports:
        transport.close()
    print(
        json.dumps(
            {
                "connected": shared.connected,
                "failed": shared.failed,
                "closed": shared.closed,
                "delays": shared.delays,
                "stamps": shared.stamps,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    uvloop.run(main())
