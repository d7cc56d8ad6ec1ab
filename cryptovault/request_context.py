"""The current request's id and client IP, visible anywhere in the call stack.

A ``ContextVar`` follows the request through ``sync_to_async`` / ``async_to_sync``
hops, so log lines from threads serving the request carry its id too, and the audit
trail reads the client's IP here: services never take the HTTP request to learn it
(``RequestContextMiddleware`` sets both; a background job restores them,
``cryptovault.tasks``).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# The trusted client address of the request being served (``cryptovault.client_ip``).
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)


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


def current_client_ip() -> str | None:
    """The client IP of the request (or of the request a job came from); None outside one."""
    return client_ip_var.get()
