from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Request as WerkzeugRequest
from werkzeug import Response as WerkzeugResponse

from accounts.models import User
from accounts.tests.factories import UserFactory
from chains.local_evm import ganache


@pytest.fixture(scope="session")
def evm_url():
    with ganache() as url:
        yield url


@pytest.fixture
def local_chain(settings, evm_url):
    """The local dev chain (1337) configured with the running ganache."""
    settings.CHAIN_RPC_URLS = {1337: evm_url}
    return evm_url


@pytest.fixture
def owner(db) -> User:
    """The owner of the wallets linked in a test; unverified, as nothing here needs more."""
    return UserFactory.create(email="owner@example.com", name="O", unverified=True)


FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fee_history():
    """Loads a recorded ``eth_feeHistory`` answer (chains/tests/fixtures/<name>.json) and
    hands back its ``result``, hex strings and all."""

    def load(name: str) -> dict[str, Any]:
        answer = json.loads((FIXTURES / f"{name}.json").read_text())
        return dict(answer["result"])

    return load


@pytest.fixture
def stub_rpc(httpserver, settings):
    """A JSON-RPC node on loopback (pytest-httpserver) that answers each method from a
    table and "method not found" otherwise, configured as the given chain's RPC URL.
    Returns the methods it was asked, in order."""

    def serve(chain_id: int, answers: dict[str, Any]) -> list[str]:
        asked: list[str] = []

        def answer(request: WerkzeugRequest) -> WerkzeugResponse:
            call = json.loads(request.get_data())
            asked.append(call["method"])
            if call["method"] in answers:
                payload = {"jsonrpc": "2.0", "id": call["id"], "result": answers[call["method"]]}
            else:
                payload = {
                    "jsonrpc": "2.0",
                    "id": call["id"],
                    "error": {
                        "code": -32601,
                        "message": f"the method {call['method']} does not exist",
                    },
                }
            return WerkzeugResponse(json.dumps(payload), content_type="application/json")

        httpserver.expect_request("/", method="POST").respond_with_handler(answer)
        settings.CHAIN_RPC_URLS = {chain_id: httpserver.url_for("/")}
        return asked

    return serve
