"""Project-wide pytest setup.

Browser tests (tests/e2e) run in their own pytest invocation (`make test` does
both): the sync Playwright API runs an event loop that would break async tests
collected after it. They are collected only when CRYPTOVAULT_E2E=1.
"""

import os

import pytest

collect_ignore = [] if os.environ.get("CRYPTOVAULT_E2E") == "1" else ["tests/e2e"]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Caches hold rate-limit counters, lockouts and cached prices: no test inherits them."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _offline_prices(settings):
    """No test reaches CoinGecko: prices are simulated unless a test points at a stub."""
    settings.PRICE_SOURCE = "simulated"
    settings.COINGECKO_BASE_URL = "http://127.0.0.1:9/api/v3"  # discard port: refused
