"""The ASGI application routes HTTP to Django and websockets through Channels' guards."""

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator

from cryptovault.asgi import application


async def test_http_goes_through_django_with_the_headers():
    communicator = HttpCommunicator(
        application, "GET", "/health/live", headers=[(b"host", b"testserver")]
    )

    response = await communicator.get_response()

    assert response["status"] == 200
    headers = {name.decode().lower(): value.decode() for name, value in response["headers"]}
    assert headers["x-api-version"] == "1"
    assert headers["x-request-id"]


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/anything", headers=[(b"origin", b"https://evil.example")]
    )

    connected, _ = await communicator.connect()

    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_websocket_without_origin_is_refused():
    communicator = WebsocketCommunicator(application, "/ws/anything")

    connected, _ = await communicator.connect()

    assert not connected
