"""Trading fixtures: funded traders, fresh prices and the clients they trade through,
all built with the factories (accounts, markets and trading tests/factories.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import api_for
from markets.tests.factories import PriceTickFactory
from trading.tests.factories import TraderFactory


@pytest.fixture
def settings_trading(settings):
    settings.DEMO_STARTING_BALANCE_USD = Decimal("10000")
    settings.TRADING_FEE_RATE = Decimal("0.001")
    settings.PRICE_REFRESH_SECONDS = 60
    return settings


@pytest.fixture
def trader(db, settings_trading) -> User:
    """A verified user holding 10,000 demo dollars."""
    return TraderFactory.create(email="trader@example.com")


@pytest.fixture
def other_trader(db, settings_trading) -> User:
    return TraderFactory.create(email="other@example.com")


@pytest.fixture
def prices(db) -> None:
    """Fresh prices: bitcoin at 50,000 and ethereum at 2,000."""
    PriceTickFactory.create(coin_id="bitcoin", price=Decimal("50000"))
    PriceTickFactory.create(coin_id="ethereum", price=Decimal("2000"))


@pytest.fixture
def trader_api(trader, prices) -> APIClient:
    """The trader's API client, with fresh prices to trade at."""
    return api_for(trader)


@pytest.fixture
def page_client(client, trader, prices) -> Client:
    """A browser logged in as the trader, with fresh prices to trade at."""
    client.force_login(trader)
    return client
