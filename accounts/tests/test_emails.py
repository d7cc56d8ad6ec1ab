"""Emails: contents, failures that never lose the user, and one trip through real SMTP."""

import email
import re
import socket
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller

from accounts.models import SentEmail, User
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


class BrokenBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp server down")


def test_every_email_has_text_and_html_and_is_recorded(api):
    api.post("/api/auth/signup", {"email": "new@example.com", "password": PASSWORD}, format="json")

    record = SentEmail.objects.get(kind="verification")
    assert record.to == "new@example.com" and record.status == SentEmail.Status.SENT
    assert record.request_id  # ties the email to the request that caused it


def test_a_failed_send_keeps_the_user_and_is_logged_with_the_request_id(api, settings, caplog):
    settings.EMAIL_BACKEND = "accounts.tests.test_emails.BrokenBackend"

    response = api.post(
        "/api/auth/signup", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 201
    assert User.objects.filter(email="new@example.com").exists()
    record = SentEmail.objects.get()
    assert record.status == SentEmail.Status.FAILED
    assert "smtp server down" in record.error
    assert record.request_id == response["X-Request-ID"]
    assert any(
        "verification email" in r.getMessage() for r in caplog.records if r.levelname == "ERROR"
    )


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, sink
    controller.stop()


def test_verification_through_real_smtp_completes_from_the_received_message(
    api, client, settings, smtp_sink
):
    controller, sink = smtp_sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False

    api.post("/api/auth/signup", {"email": "smtp@example.com", "password": PASSWORD}, format="json")
    deadline = time.monotonic() + 10
    while not sink.messages and time.monotonic() < deadline:
        time.sleep(0.05)

    assert sink.messages, "nothing reached the SMTP sink"
    message = email.message_from_bytes(sink.messages[0], policy=policy.default)
    assert message["To"] == "smtp@example.com"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    found = re.search(r"http://\S+/accounts/verify/\S+/", text)
    assert found
    link = found.group(0)
    assert link in html
    path = link.replace(settings.APP_URL, "")

    response = client.post(path)

    assert response.status_code == 302
    assert User.objects.get(email="smtp@example.com").email_verified
