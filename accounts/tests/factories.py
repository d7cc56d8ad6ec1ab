"""Users for every app's tests, built one way.

One factories module per app (STYLE.md: ``<app>/tests/factories.py``), each holding the
factories of its own models, so a test imports a factory from the app that owns the
model: users here, price ticks from ``markets.tests.factories``, funded traders and
orders from ``trading.tests.factories``. The shared fixtures (``user``, ``staff_user``,
``trader``...) are built from these in the conftest files.
"""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import tokens_for

# Every factory-made user logs in with this; tests type it into the forms.
PASSWORD = "correct horse battery"  # pragma: allowlist secret


class UserFactory(DjangoModelFactory[User]):
    """A user with a verified email address and ``PASSWORD``; ``unverified=True`` leaves
    the address unconfirmed, as signup does."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        unverified = factory.Trait(email_verified_at=None)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = "Ada"
    password = PASSWORD
    email_verified_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        # Through the manager, as signup does: it lowercases the email and hashes the password.
        return model_class.objects.create_user(*args, **kwargs)


class StaffUserFactory(UserFactory):
    """An operator as ``createsuperuser`` makes one: staff, superuser, verified."""

    email = factory.Sequence(lambda n: f"ops{n}@example.com")
    name = ""

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return model_class.objects.create_superuser(*args, **kwargs)


def api_for(user: User) -> APIClient:
    """An API client that sends ``user``'s access token, as the apps and scripts do."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    return client
