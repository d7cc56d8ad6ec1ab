"""Websocket hardening: malformed frames, unknown paths and the Origin check.

In process through ``cryptovault.asgi.application`` (Channels' communicator), then a
few checks over a real socket against a running server, where an unknown path
used to be an HTTP 500 and another port of the same host passed the origin check.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import websockets
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from accounts.tests.factories import UserFactory
from cryptovault.asgi import application
from tests.servers import LiveServer, asgi_server

Headers = list[tuple[bytes, bytes]]

HOST = b"localhost:8000"
SAME_ORIGIN = b"http://localhost:8000"

# Through the whole stack: the session lookup and the prices snapshot use the
# database from asgiref's thread, so the tests need committed rows and a cleanup.
in_process = pytest.mark.usefixtures("transactional_db", "close_executor_connections")

# One level past cryptovault.json_input.MAX_DEPTH, inside a message that is otherwise
# a valid ping: refused before the decoder sees it, not answered.
DEEP_PING = '{"type": "ping", "deep": ' + "[" * 64 + "]" * 64 + "}"
# Under 4096 characters but over 4096 bytes in UTF-8: the cap is on bytes.
WIDE_PING = json.dumps({"type": "ping", "pad": "é" * 2100}, ensure_ascii=False)

MALFORMED_FRAMES = {
    "junk text": {"text_data": "not json {"},
    "binary frame": {"bytes_data": b"\x00\xff{}"},
    "deep JSON": {"text_data": DEEP_PING},
    "oversized text": {"text_data": json.dumps({"type": "ping", "pad": "x" * 5000})},
    "oversized in bytes": {"text_data": WIDE_PING},
    "JSON array": {"text_data": '[{"type": "ping"}]'},
    "JSON string": {"text_data": '"ping"'},
}


def headers(origin: bytes | None = SAME_ORIGIN, host: bytes = HOST, *extra: bytes) -> Headers:
    """Handshake headers as a browser sends them; ``extra`` is name, value, name, value..."""
    sent = [(b"host", host)]
    if origin is not None:
        sent.append((b"origin", origin))
    sent.extend(zip(extra[::2], extra[1::2], strict=True))
    return sent


@database_sync_to_async
def session_cookie() -> bytes:
    """A logged-in user's session cookie, as the browser would send it."""
    user = UserFactory.create(email="socket@example.com", name="Socket")
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def opened(path: str, sent: Headers) -> WebsocketCommunicator:
    """A connected socket, past the greeting of its consumer (the prices snapshot)."""
    communicator = WebsocketCommunicator(application, path, headers=sent)
    connected, code = await communicator.connect(timeout=5)
    assert connected, f"refused with {code}"
    if path == "/ws/prices":
        assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    return communicator


async def handshake(path: str, sent: Headers) -> bool:
    """Whether the handshake is accepted (the socket is then closed again)."""
    communicator = WebsocketCommunicator(application, path, headers=sent)
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


# --- Malformed frames: an error message, and the socket keeps answering --------------


@in_process
@pytest.mark.parametrize("path", ["/ws/prices", "/ws/orders"])
@pytest.mark.parametrize("frame", MALFORMED_FRAMES.values(), ids=MALFORMED_FRAMES.keys())
async def test_a_malformed_frame_gets_an_error_and_the_socket_stays_open(path, frame):
    # given an open socket (orders: a logged-in user's)
    sent = headers()
    if path == "/ws/orders":
        sent.append((b"cookie", await session_cookie()))
    communicator = await opened(path, sent)

    # when the client sends a frame we do not read
    await communicator.send_to(**frame)

    # then it is told so, and the same socket still answers a ping
    answer = await communicator.receive_json_from(timeout=5)
    assert answer["type"] == "error"
    assert isinstance(answer["detail"], str) and answer["detail"]
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


@in_process
async def test_orders_answers_an_unknown_message_type_with_an_error():
    # given a logged-in user's orders socket
    communicator = await opened("/ws/orders", [*headers(), (b"cookie", await session_cookie())])

    # when the client sends a type the server does not know
    await communicator.send_json_to({"type": "subscribe"})

    # then it gets an error, and ping still works
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


# --- Unknown paths: refused before accepting ------------------------------------------


@in_process
@pytest.mark.parametrize("path", ["/ws/nowhere", "/ws/prices/extra", "/", "/ws/"])
async def test_an_unknown_path_is_refused_not_an_error(path):
    # given a handshake from our own page to a path no consumer serves
    communicator = WebsocketCommunicator(application, path, headers=headers())

    # when it connects
    connected, _ = await communicator.connect(timeout=5)

    # then it is refused (a close before accept: HTTP 403), not an exception (HTTP 500)
    assert not connected


# --- Origin: scheme, host and port ----------------------------------------------------

REFUSED_ORIGINS = {
    "another port": headers(b"http://localhost:9999"),
    "another scheme": headers(b"https://localhost:8000"),
    "the default port instead of ours": headers(b"http://localhost"),
    "a foreign host": headers(b"https://evil.example"),
    "no origin": headers(None),
    "an opaque origin": headers(b"null"),
    "an origin with a path": headers(b"http://localhost:8000/page"),
    "two origins": [*headers(), (b"origin", b"https://evil.example")],
    "a host outside ALLOWED_HOSTS": headers(b"http://evil.example:8000", b"evil.example:8000"),
    "a forwarded scheme from an untrusted peer": headers(
        b"https://localhost", b"localhost", b"x-forwarded-proto", b"https"
    ),
}


@in_process
@pytest.mark.parametrize("sent", REFUSED_ORIGINS.values(), ids=REFUSED_ORIGINS.keys())
async def test_a_handshake_from_another_origin_is_refused(sent):
    # given a server on localhost:8000 (the Host header) with the default settings
    # when a page of another origin (or none) opens a socket with the user's cookies
    accepted = await handshake("/ws/prices", sent)

    # then the handshake is refused, so no page elsewhere can ride the session (CSWSH)
    assert not accepted


@in_process
async def test_a_handshake_from_our_own_page_is_accepted():
    # given a page served by this very host, scheme and port
    # when it opens a socket
    accepted = await handshake("/ws/prices", headers(SAME_ORIGIN, HOST))

    # then the handshake goes through
    assert accepted


@in_process
@pytest.mark.parametrize(
    ("origin", "host"),
    [(b"http://localhost", b"localhost:80"), (b"http://localhost:80", b"localhost")],
    ids=["port in the Host header", "port in the Origin"],
)
async def test_a_default_port_written_out_is_the_same_origin(origin, host):
    # given the same origin, once with its default port written out and once not
    # when the page opens a socket
    accepted = await handshake("/ws/prices", headers(origin, host))

    # then it is accepted: http://h and http://h:80 are one origin
    assert accepted


@in_process
async def test_the_app_url_origin_is_accepted(settings):
    # given APP_URL, the public address the operator configured
    settings.APP_URL = "https://app.example/"

    # when its page opens a socket reaching the server under another host name
    accepted = await handshake("/ws/prices", headers(b"https://app.example", HOST))

    # then it is accepted, and its other ports still are not
    assert accepted
    assert not await handshake("/ws/prices", headers(b"https://app.example:8443", HOST))


@in_process
async def test_a_csrf_trusted_origin_is_accepted(settings):
    # given a trusted origin in the settings
    settings.CSRF_TRUSTED_ORIGINS = ["https://trusted.example:8443"]

    # when its page opens a socket
    accepted = await handshake("/ws/prices", headers(b"https://trusted.example:8443", HOST))

    # then it is accepted, with exactly that scheme and port
    assert accepted
    assert not await handshake("/ws/prices", headers(b"http://trusted.example:8443", HOST))


@in_process
async def test_behind_a_trusted_proxy_the_forwarded_scheme_decides(settings):
    # given a TLS-terminating proxy in front (the handshake reaches us as plain ws)
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = (b"x-forwarded-proto", b"https")

    # when the https page opens a socket through it
    accepted = await handshake(
        "/ws/prices", headers(b"https://localhost", b"localhost", *forwarded)
    )

    # then it is accepted, and the plain-http page of that host no longer is
    assert accepted
    assert not await handshake("/ws/prices", headers(b"http://localhost", b"localhost", *forwarded))


# --- Over a real socket: a running server (Channels' runserver) -----------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: starting one takes seconds on a shared machine.

    APP_URL points elsewhere, so only the server's own origin is allowed.
    """
    with asgi_server(
        tmp_path_factory.mktemp("websocket_server"), REDIS_URL=None, APP_URL="https://app.example"
    ) as live:
        yield live


async def _next_not_prices(socket: websockets.ClientConnection) -> dict:
    """The next message that is not a price broadcast (the feed sends one a second)."""
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message["type"] not in {"snapshot", "prices"}:
            return message


@pytest.mark.timeout(90)
def test_a_real_server_refuses_an_unknown_path_with_403_and_keeps_serving(server):
    async def attempt() -> tuple[int, str]:
        origin = Origin(server.url)
        # when a client opens a socket on a path no consumer serves
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://{server.host}:{server.port}/ws/nowhere", origin=origin
            ):
                pass
        # and then one on a real path
        async with websockets.connect(
            f"ws://{server.host}:{server.port}/ws/prices", origin=origin
        ) as socket:
            first = json.loads(await asyncio.wait_for(socket.recv(), 10))
        return refused.value.response.status_code, first["type"]

    # given a running server
    status, first = asyncio.run(attempt())

    # then the unknown path is refused with 403 (not a 500), and the server still serves
    assert status == 403
    assert first == "snapshot"


@pytest.mark.timeout(90)
def test_a_real_server_refuses_another_port_of_its_own_host(server):
    async def attempt() -> int:
        # when a page on another port of the same host opens a socket
        other = server.port + 1 if server.port < 65535 else server.port - 1
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://{server.host}:{server.port}/ws/prices",
                origin=Origin(f"http://{server.host}:{other}"),
            ):
                pass
        return refused.value.response.status_code

    # given a running server on 127.0.0.1:<port>
    # then the handshake is refused: another port is another origin
    assert asyncio.run(attempt()) == 403


@pytest.mark.timeout(90)
def test_a_real_server_answers_malformed_frames_and_keeps_the_socket(server):
    async def attempt() -> list[dict]:
        async with websockets.connect(
            f"ws://{server.host}:{server.port}/ws/prices", origin=Origin(server.url)
        ) as socket:
            answers = []
            frames: list[str | bytes] = ["not json {", b"\x00\xff", DEEP_PING, '{"type": "ping"}']
            # when the client sends junk, a binary frame and a too-deep ping, then a ping
            for frame in frames:
                await socket.send(frame)
                answers.append(await _next_not_prices(socket))
            return answers

    # given a running server and a prices socket
    answers = asyncio.run(attempt())

    # then each malformed frame gets an error and the same socket answers the ping
    assert [answer["type"] for answer in answers] == ["error", "error", "error", "pong"]
