from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api import tokens_for
from accounts.models import User
from markets.models import Coin, PriceTick
from trading.services import account_fund_initial


@pytest.fixture
def settings_trading(settings):
    settings.DEMO_STARTING_BALANCE_USD = Decimal("10000")
    settings.TRADING_FEE_RATE = Decimal("0.001")
    settings.PRICE_REFRESH_SECONDS = 60
    return settings


def make_trader(email: str = "trader@example.com") -> User:
    user = User.objects.create_user(
        email=email,
        password="correct horse battery",
        name="Trader",
        email_verified_at=timezone.now(),
    )
    account_fund_initial(user=user)
    return user


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    return client


@pytest.fixture
def trader(db, settings_trading) -> User:
    return make_trader()


@pytest.fixture
def other_trader(db, settings_trading) -> User:
    return make_trader("other@example.com")


def set_price(coin_id: str, price: str, at: datetime | None = None) -> PriceTick:
    return PriceTick.objects.create(
        coin=Coin.objects.get(pk=coin_id),
        price=Decimal(price),
        source="coingecko",
        at=at or datetime.now(UTC),
    )


@pytest.fixture
def prices(db):
    set_price("bitcoin", "50000")
    set_price("ethereum", "2000")
    return set_price


@pytest.fixture
def tracked_coins(transactional_db):
    """The seeded coins, restored for transactional tests (a flush removes them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("markets.migrations.0002_seed_coins").seed(apps, None)
