"""A small JSON-RPC client for EVM nodes: timeouts, one error type, no retry storms.

One attempt per call (a wallet page polls again on its own); a node that answers
with an error, HTML, or nothing at all raises :class:`RpcError` with the cause.
"""

from __future__ import annotations

import itertools
from typing import Any

import requests
from django.conf import settings

from cryptovault.json_input import json_loads

_ids = itertools.count(1)
_session = requests.Session()
_session.headers["Content-Type"] = "application/json"


class RpcError(Exception):
    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RpcClient:
    def __init__(self, url: str, *, timeout: float | None = None) -> None:
        self.url = url
        self.timeout = float(
            timeout if timeout is not None else settings.CHAIN_REQUEST_TIMEOUT_SECONDS
        )

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params or []}
        try:
            response = _session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise RpcError(f"{method}: {error.__class__.__name__}") from error
        if response.status_code != 200:
            raise RpcError(f"{method}: HTTP {response.status_code}")
        try:
            payload = json_loads(response.content)
        except ValueError:
            raise RpcError(f"{method}: the node did not answer JSON") from None
        if not isinstance(payload, dict):
            raise RpcError(f"{method}: unexpected answer")
        if payload.get("error"):
            failure = payload["error"] if isinstance(payload["error"], dict) else {}
            raise RpcError(f"{method}: {failure.get('message', 'error')}", code=failure.get("code"))
        return payload.get("result")

    # --- typed calls ----------------------------------------------------------------

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def balance(self, address: str) -> int:
        return int(self.call("eth_getBalance", [address, "latest"]), 16)

    def gas_price(self) -> int:
        return int(self.call("eth_gasPrice"), 16)

    def max_priority_fee(self) -> int:
        return int(self.call("eth_maxPriorityFeePerGas"), 16)

    def fee_history(self, blocks: int, percentiles: list[float]) -> dict[str, Any]:
        result = self.call("eth_feeHistory", [hex(blocks), "latest", percentiles])
        if not isinstance(result, dict) or "baseFeePerGas" not in result:
            raise RpcError("eth_feeHistory: unexpected answer")
        return result

    def estimate_gas(self, transaction: dict[str, Any]) -> int:
        return int(self.call("eth_estimateGas", [transaction]), 16)

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.call("eth_getTransactionByHash", [tx_hash])
        return result if isinstance(result, dict) else None

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.call("eth_getTransactionReceipt", [tx_hash])
        return result if isinstance(result, dict) else None
