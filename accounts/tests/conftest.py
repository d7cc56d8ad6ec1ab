import re

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def verified_user(db) -> User:
    return User.objects.create_user(
        email="ada@example.com", password=PASSWORD, name="Ada", email_verified_at=timezone.now()
    )


def last_email(to: str) -> mail.EmailMultiAlternatives:
    sent = [message for message in mail.outbox if to in message.to]
    assert sent, f"no email to {to}; outbox has {[m.to for m in mail.outbox]}"
    assert isinstance(sent[-1], mail.EmailMultiAlternatives)
    return sent[-1]


def code_in(message: mail.EmailMessage) -> str:
    match = re.search(r"\b(\d{6})\b", str(message.body))
    assert match, message.body
    return match.group(1)


def link_in(message: mail.EmailMessage, pattern: str) -> str:
    match = re.search(rf"https?://\S*{pattern}\S*", str(message.body))
    assert match, message.body
    return match.group(0)


def token_in(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
