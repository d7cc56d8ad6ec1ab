"""Over a real socket: a running server's embedded feed broadcasts to a websocket client."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.typing import Origin

from tests.servers import asgi_server

pytestmark = pytest.mark.timeout(90)


def test_a_running_server_pushes_prices_over_a_real_websocket(tmp_path):
    with asgi_server(tmp_path, REDIS_URL=None) as server:

        async def listen() -> list[dict]:
            async with websockets.connect(
                f"ws://{server.host}:{server.port}/ws/prices", origin=Origin(server.url)
            ) as socket:
                received: list[dict] = []
                while len(received) < 3:
                    received.append(json.loads(await asyncio.wait_for(socket.recv(), 15)))
                return received

        messages = asyncio.run(listen())

    assert messages[0]["type"] == "snapshot"
    assert [m["type"] for m in messages[1:]] == ["prices", "prices"]
    assert messages[1]["at"] != messages[2]["at"]
    assert {p["source"] for p in messages[2]["prices"]} == {"simulated"}
