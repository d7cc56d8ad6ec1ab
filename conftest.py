"""Project-wide pytest setup, and the fixtures every app's tests share.

Browser tests (tests/e2e) run in their own pytest invocation (`make test` does
both): the sync Playwright API runs an event loop that would break async tests
collected after it. They are collected only when CRYPTOVAULT_E2E=1.

Test data comes from the factories in each app's tests/factories.py; the fixtures
here are the few objects most tests start from, built with them.
"""

import importlib
import os

import pytest

from accounts.models import User
from accounts.tests.factories import StaffUserFactory, UserFactory

collect_ignore = [] if os.environ.get("CRYPTOVAULT_E2E") == "1" else ["tests/e2e"]
# Topology tests (tests/topology) start `make prod`: only `make test-topology` runs them.
if os.environ.get("CRYPTOVAULT_TOPOLOGY") != "1":
    collect_ignore.append("tests/topology")


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Caches hold rate-limit counters, lockouts and cached prices: no test inherits them."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _one_rate_limit_window(monkeypatch):
    """django-ratelimit counts in fixed windows of wall-clock time: a test that made
    its N allowed requests across a window edge would see the count restart and
    flake. Its clock stands still during a test, so every count lands in one window."""
    import time
    from types import SimpleNamespace

    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def _tasks_eager(settings):
    """Background jobs (cryptovault.tasks) run as their transaction commits, in the
    test's thread: the email is in the outbox right after the request. A test of the
    background mode itself sets TASKS_EAGER back to False."""
    settings.TASKS_EAGER = True


@pytest.fixture(autouse=True)
def _offline_prices(settings):
    """No test reaches CoinGecko: prices are simulated unless a test points at a stub."""
    settings.PRICE_SOURCE = "simulated"
    settings.COINGECKO_BASE_URL = "http://127.0.0.1:9/api/v3"  # discard port: refused


@pytest.fixture(autouse=True)
def _repeatable_walk(settings):
    """The simulated walk is seeded from SECRET_KEY, which a fresh clone makes at
    random: pinned here, a test sees the same prices in every clone and every CI run
    (a random walk can, once in a hundred seeds, land where a test did not look)."""
    settings.SIMULATED_FEED_SEED = "cryptovault-tests"


@pytest.fixture
async def close_executor_connections():
    """Async tests query through asgiref's executor thread: close its connection
    afterwards, or PostgreSQL refuses to drop the test database at the end."""
    yield
    from channels.db import database_sync_to_async
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def user(db) -> User:
    """Ada, verified, logging in as ada@example.com with the factories' PASSWORD."""
    return UserFactory.create(email="ada@example.com", name="Ada")


@pytest.fixture
def staff_user(db) -> User:
    """An operator (staff and superuser) logging in as ops@example.com with PASSWORD."""
    return StaffUserFactory.create(email="ops@example.com")


@pytest.fixture
def tracked_coins(transactional_db):
    """The ten seeded coins, restored for transactional tests (a flush removes them)."""
    from django.apps import apps

    importlib.import_module("markets.migrations.0002_seed_coins").seed(apps, None)
