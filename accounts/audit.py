"""The audit trail: security and money events, stored append-only and logged."""

from __future__ import annotations

import logging
from typing import Any

from accounts.models import AuditEvent, User
from cryptovault.request_context import current_client_ip, current_request_id

logger = logging.getLogger("cryptovault.audit")


def audit_record(
    *,
    action: str,
    user: User | None = None,
    email: str = "",
    **data: Any,
) -> AuditEvent:
    """Store and log one event (who, what, when, and the IP and id of the request it
    happened in, read from the request context)."""
    event = audit_event(action=action, user=user, email=email, **data)
    event.save(force_insert=True)
    audit_logged(event)
    return event


def audit_event(
    *,
    action: str,
    user: User | None = None,
    email: str = "",
    **data: Any,
) -> AuditEvent:
    """The event ``audit_record`` stores, not stored yet: for a writer that inserts it
    with the rows it explains, in one batch; it then calls ``audit_logged``."""
    return AuditEvent(
        action=action,
        user=user if user is not None and user.pk else None,
        email=email or (user.email if user is not None else ""),
        ip=current_client_ip(),
        request_id=current_request_id() if current_request_id() != "-" else "",
        data=data,
    )


def audit_logged(event: AuditEvent) -> None:
    """Log a stored event."""
    logger.info(
        "audit %s",
        event.action,
        extra={
            "audit_action": event.action,
            "user_id": event.user_id,
            "email": event.email,
            **event.data,
        },
    )
