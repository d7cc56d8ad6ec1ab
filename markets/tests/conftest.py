"""Shared fixtures: a local CoinGecko stub with realistic payloads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from markets.board_row import BoardRow

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


def price_usd(row: BoardRow) -> Decimal:
    """A board row's price; a row without one fails the test."""
    assert row["price_usd"] is not None, f"{row['id']} has no price"
    return Decimal(row["price_usd"])


def markets_payload(price: float = 64250.12) -> list[dict]:
    return [market_row(coin_id, price + index) for index, coin_id in enumerate(COIN_IDS)]


@pytest.fixture
def coingecko(httpserver, settings):
    """Point the app at a local stub; the test registers the answers it needs."""
    settings.PRICE_SOURCE = "auto"
    settings.COINGECKO_BASE_URL = httpserver.url_for("/api/v3")
    settings.COINGECKO_API_KEY = "demo-test-key"
    return httpserver
