import pytest
from django.utils import timezone

from accounts.models import User


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(
        email="ada@example.com",
        password="correct horse battery",
        name="Ada Lovelace",
        email_verified_at=timezone.now(),
    )


@pytest.fixture
def staff_user(db) -> User:
    return User.objects.create_superuser(email="ops@example.com", password="operator pass 123")
