"""Account emails: rendered from HTML + text templates, sent by a background job.

Each email is a job (``cryptovault.tasks``) that starts once the transaction commits:
the request never waits for a mail server, so an answer takes the same time whether
or not an email went out (no account enumeration by timing), whatever the service.
A failed send is logged with the request id and recorded for operators; it never
turns into a 500 and never loses the row the email was about. With
``EMAIL_SERVICE=console`` (the embedded default) every message is also kept whole in
the dev outbox, readable at /dev/outbox/ while DEBUG is on.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import SentEmail
from cryptovault.request_context import current_request_id
from cryptovault.tasks import task_enqueue

logger = logging.getLogger(__name__)

SUBJECTS = {
    "verification": "Your CryptoVault verification code: {code}",
    "welcome": "Welcome to CryptoVault",
    "password_reset": "Reset your CryptoVault password",
    "password_changed": "Your CryptoVault password was changed",
    "account_exists": "You already have a CryptoVault account",
}


def absolute_url(path: str) -> str:
    """A link for an email, always built from APP_URL, never from the request's Host."""
    return f"{settings.APP_URL}{path}"


def email_send(*, kind: str, to: str, context: dict[str, Any]) -> None:
    """Queue an email to go out once the current transaction commits."""
    task_enqueue(email_deliver, kind=kind, to=to, context={"app_url": settings.APP_URL, **context})


def email_deliver(*, kind: str, to: str, context: dict[str, Any]) -> None:
    """The job: render, send, record; a transport failure is logged and recorded."""
    request_id = current_request_id()
    subject = SUBJECTS[kind].format(**context)
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", {**context, "subject": subject})
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    record = SentEmail(kind=kind, to=to, subject=subject, request_id=request_id)
    if settings.DEV_OUTBOX:
        record.body_text, record.body_html = text, html
    try:
        message.send(fail_silently=False)
    except Exception as error:  # any transport failure: log it, keep going
        logger.error("Sending %s email to %s failed: %s", kind, to, error, exc_info=True)
        record.status, record.error = SentEmail.Status.FAILED, f"{type(error).__name__}: {error}"
    else:
        record.status = SentEmail.Status.SENT
    try:
        record.save()
    except Exception:  # the record is for operators; its loss must not break the flow
        logger.exception("Recording the %s email to %s failed", kind, to)
