"""Shared fixtures: a local CoinGecko stub with realistic payloads."""

from __future__ import annotations

import pytest

COIN_IDS = [
    "bitcoin",
    "ethereum",
    "tether",
    "binancecoin",
    "solana",
    "ripple",
    "usd-coin",
    "cardano",
    "dogecoin",
    "tron",
]


def market_row(coin_id: str, price: float, change: float = 1.5) -> dict:
    """One /coins/markets row as CoinGecko sends it (fields trimmed to those we read)."""
    return {
        "id": coin_id,
        "symbol": coin_id[:3],
        "name": coin_id.title(),
        "image": f"https://coin-images.coingecko.com/coins/images/1/large/{coin_id}.png",
        "current_price": price,
        "market_cap": price * 19_000_000,
        "market_cap_rank": 1,
        "total_volume": price * 500_000,
        "price_change_percentage_24h": change,
        "last_updated": "2026-11-28T12:00:00.000Z",
        "sparkline_in_7d": {"price": [price * (1 + i / 1000) for i in range(168)]},
    }


def markets_payload(price: float = 64250.12) -> list[dict]:
    return [market_row(coin_id, price + index) for index, coin_id in enumerate(COIN_IDS)]


@pytest.fixture
def coingecko(httpserver, settings):
    """Point the app at a local stub; the test registers the answers it needs."""
    settings.PRICE_SOURCE = "auto"
    settings.COINGECKO_BASE_URL = httpserver.url_for("/api/v3")
    settings.COINGECKO_API_KEY = "demo-test-key"
    return httpserver


@pytest.fixture
def tracked_coins(transactional_db):
    """The ten seeded coins, restored for transactional tests (a flush removes them)."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("markets.migrations.0002_seed_coins")
    seed.seed(apps, None)
