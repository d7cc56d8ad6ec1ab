"""The ASGI application routes HTTP to Django and websockets through Channels' guards."""

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator

from cryptovault.asgi import application
from tests.processes import PRODUCTION_ENV, child_env, run_manage, run_python


async def test_http_goes_through_django_with_the_headers():
    communicator = HttpCommunicator(
        application, "GET", "/health/live", headers=[(b"host", b"testserver")]
    )

    response = await communicator.get_response()

    assert response["status"] == 200
    headers = {name.decode().lower(): value.decode() for name, value in response["headers"]}
    assert headers["x-api-version"] == "1"
    assert headers["x-request-id"]


# A real path and a Host we serve: only the Origin can be what refuses these
# (tests/test_websocket_security.py has the full rule).


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application,
        "/ws/prices",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"localhost")],
    )

    connected, _ = await communicator.connect()

    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_websocket_without_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/prices", headers=[(b"host", b"localhost")]
    )

    connected, _ = await communicator.connect()

    assert not connected


def test_production_processes_load_neither_twisted_nor_eth_account():
    """Memory is what limits sockets per `ws` process (bench/markets_ws.py): loading the
    ASGI app and the URLconf must not pull in daphne's Twisted (only `runserver` needs
    it) nor eth-account (only a signature check does), ~40 MB between them."""
    code = (
        "import sys\n"
        "from cryptovault import asgi\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "heavy = {'twisted', 'daphne', 'eth_account', 'eth_utils'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    result = run_python(code, child_env(**PRODUCTION_ENV, PRICE_FEED_EMBEDDED="false"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_runserver_is_channels_asgi_server():
    """`make run` serves websockets too: runserver is daphne's, installed for it alone."""
    result = run_manage("runserver", "--help", env=child_env())

    assert result.returncode == 0, result.stderr
    assert "--websocket_handshake_timeout" in result.stdout
