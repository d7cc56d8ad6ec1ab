"""The chains' RPC nodes as the rules reach them: one place turns "no node" and "the
node failed" into the API's answers (SPEC §7).

- no RPC URL for the chain on this server: 503 ``rpc_not_configured``;
- the node did not answer, or answered nonsense: 502 ``chain_unavailable``;
- while estimating, a JSON-RPC error (the node ran the transaction and refused it, a
  revert or too little to pay): 400 ``estimate_failed``, the caller's to fix.

Balances and receipts are read past failures instead (a row's ``error``, a
transaction left pending): those callers catch ``RpcError`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rest_framework import status

from chains.registry import Chain
from chains.rpc import RpcClient, RpcError
from cryptovault.errors import DomainError


def node_client(chain: Chain) -> RpcClient:
    """The chain's RPC client; 503 ``rpc_not_configured`` when this server has no URL."""
    if not chain.rpc_url:
        raise DomainError(
            "rpc_not_configured",
            f"{chain.name} has no RPC URL on this server (set CHAIN_RPC_{chain.chain_id}).",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return RpcClient(chain.rpc_url)


@contextmanager
def node_answering(chain: Chain, *, estimating: bool = False) -> Iterator[None]:
    """Node failures inside the block raised as DomainErrors (the module docstring)."""
    try:
        yield
    except RpcError as error:
        if estimating and error.code is not None:
            raise DomainError(
                "estimate_failed", f"The chain cannot run this transaction: {error}"
            ) from None
        raise DomainError(
            "chain_unavailable",
            f"{chain.name} did not answer: {error}",
            status_code=status.HTTP_502_BAD_GATEWAY,
        ) from None
