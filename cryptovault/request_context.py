"""The current request's id, visible to logging anywhere in the call stack.

A ``ContextVar`` follows the request through ``sync_to_async`` / ``async_to_sync``
hops, so log lines from threads serving the request carry its id too.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


def parse_request_id(value: str | None) -> str | None:
    """The canonical form of an incoming id when it is a valid UUID, else None."""
    if not value or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def new_request_id() -> str:
    return str(uuid.uuid4())


def current_request_id() -> str:
    return request_id_var.get()
