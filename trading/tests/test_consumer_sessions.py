"""A signed-out browser stops hearing about its orders: ``/ws/orders`` closes with 1008
once the session that opened it has ended (reference/security.md W2)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import User
from accounts.services import password_change
from accounts.tests.factories import PASSWORD, UserFactory
from cryptovault.asgi import application

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.usefixtures("close_executor_connections"),
]


@pytest.fixture(autouse=True)
def _quick_recheck(settings):
    settings.WS_SESSION_RECHECK_SECONDS = 0.2


@database_sync_to_async
def browser() -> tuple[Client, User]:
    user = UserFactory.create(email="socket@example.com", name="S")
    client = Client()
    client.force_login(user)
    return client, user


async def orders_socket(client: Client) -> WebsocketCommunicator:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    communicator = WebsocketCommunicator(
        application,
        "/ws/orders",
        headers=[
            (b"host", b"localhost:8000"),
            (b"origin", b"http://localhost:8000"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, code = await communicator.connect(timeout=5)
    assert connected, code
    return communicator


async def test_a_live_session_keeps_its_socket():
    client, _user = await browser()
    socket = await orders_socket(client)

    assert await socket.receive_nothing(timeout=0.8)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_logging_out_closes_the_socket():
    client, _user = await browser()
    socket = await orders_socket(client)

    await database_sync_to_async(client.post)("/accounts/logout/")

    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1008}


async def test_a_password_change_elsewhere_closes_the_socket():
    client, user = await browser()
    socket = await orders_socket(client)

    await database_sync_to_async(password_change)(
        user=user, current_password=PASSWORD, new_password="another long passphrase"
    )

    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1008}
