"""Account emails: rendered from HTML + text templates, sent by a background job.

Each email is a job (``cryptovault.tasks``) that starts once the transaction commits:
the request never waits for a mail server, so an answer takes the same time whether
or not an email went out (no account enumeration by timing), whatever the service.

A failed send is tried again with an exponential back-off (``EMAIL_RETRY``: on the
Celery worker for about five minutes, in process for a few seconds), so a provider's
outage loses no email. Each email has one ``SentEmail`` row, keyed by the id the
email got when it was queued: it says ``retrying`` with the last error while attempts
fail, then ``sent``, or ``failed`` after the last one (logged with the request id; the
admin lists it). A failure never turns into a 500 and never loses the row the email
was about. With ``EMAIL_SERVICE=console`` (the embedded default) every message is also
kept whole in the dev outbox, readable at /dev/outbox/ while DEBUG is on.

Sent once: an attempt first reads the row and sends nothing if it says ``sent`` (a
message the broker delivered twice), and once the provider has taken the message
nothing is retried, even if recording it fails (that is logged, not retried). The
one gap left is a worker killed between the send and the record: the message is
redelivered and sent again. Twice is better than never for a verification code.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import SentEmail
from cryptovault.request_context import current_request_id
from cryptovault.tasks import Attempt, Retry, job, task_enqueue

logger = logging.getLogger(__name__)

SUBJECTS = {
    "verification": "Your CryptoVault verification code: {code}",
    "welcome": "Welcome to CryptoVault",
    "password_reset": "Reset your CryptoVault password",
    "password_changed": "Your CryptoVault password was changed",
    "account_exists": "You already have a CryptoVault account",
}

# On the worker: 10, 20, 40, 80 and 160 s (each give or take a quarter), about five
# minutes in all, within a verification code's life. In process: 0.5, 1 and 2 s, on a
# pool thread that waits (a brief outage; a longer one is the worker's job).
EMAIL_RETRY = Retry(max_retries=5, base_seconds=10)
EMAIL_RETRY_IN_PROCESS = Retry(max_retries=3, base_seconds=0.5)


def absolute_url(path: str) -> str:
    """A link for an email, always built from APP_URL, never from the request's Host."""
    return f"{settings.APP_URL}{path}"


def email_send(*, kind: str, to: str, context: dict[str, Any]) -> None:
    """Queue an email to go out once the current transaction commits."""
    task_enqueue(
        email_deliver,
        key=uuid.uuid4().hex,
        kind=kind,
        to=to,
        context={"app_url": settings.APP_URL, **context},
    )


def email_render(*, kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """The subject, text and HTML of an email of ``kind``, from its templates."""
    subject = SUBJECTS[kind].format(**context)
    text = render_to_string(f"emails/{kind}.txt", context)
    html = render_to_string(f"emails/{kind}.html", {**context, "subject": subject})
    return subject, text, html


@job(retry=EMAIL_RETRY, retry_in_process=EMAIL_RETRY_IN_PROCESS)
def email_deliver(
    *, key: str, kind: str, to: str, context: dict[str, Any], attempt: Attempt
) -> None:
    """The job: one attempt to send, recorded; raises to be tried again."""
    if SentEmail.objects.filter(key=key, status=SentEmail.Status.SENT).exists():
        logger.info("The %s email to %s was sent already; not sending it again", kind, to)
        return
    subject, text, html = email_render(kind=kind, context=context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    record: dict[str, Any] = {
        "kind": kind,
        "to": to,
        "subject": subject,
        "request_id": current_request_id(),
        "attempts": attempt.number,
    }
    if settings.DEV_OUTBOX:
        record |= {"body_text": text, "body_html": html}
    try:
        message.send(fail_silently=False)
    except Exception as error:  # any transport failure: record it, then retry or give up
        record["error"] = f"{type(error).__name__}: {error}"
        if attempt.last:
            logger.error(
                "Sending %s email to %s failed after %d attempts: %s",
                kind,
                to,
                attempt.number,
                error,
                exc_info=True,
            )
            _record(key, {**record, "status": SentEmail.Status.FAILED})
            return
        _record(key, {**record, "status": SentEmail.Status.RETRYING})
        raise
    # Sent: whatever happens to the record now, this email is never sent again.
    _record(key, {**record, "status": SentEmail.Status.SENT, "error": ""})


def _record(key: str, fields: dict[str, Any]) -> None:
    """The email's one row, written; its loss must not break the flow (nor resend it)."""
    try:
        SentEmail.objects.update_or_create(key=key, defaults=fields)
    except Exception:
        logger.exception("Recording the %s email to %s failed", fields["kind"], fields["to"])
