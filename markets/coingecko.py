"""The CoinGecko REST client: one ``requests`` session, timeouts, bounded retries.

Every failure (network, timeout, 4xx/5xx, HTML or malformed bodies) surfaces as one
:class:`CoinGeckoError` carrying the cause, so callers decide between stale values
and the simulated feed. Retries back off with jitter on 429 and 5xx and honour
``Retry-After`` up to a cap; a longer wait is not slept through, it is reported.
See ``../shared/reference/coingecko.md`` for the API's facts.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import requests
from django.conf import settings

from cryptovault.json_input import json_loads

logger = logging.getLogger(__name__)

KEY_HEADERS = {"demo": "x-cg-demo-api-key", "pro": "x-cg-pro-api-key"}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class CoinGeckoError(Exception):
    """CoinGecko could not answer usefully; ``status`` and ``retry_after`` when known."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class CoinGeckoClient:
    def __init__(
        self,
        *,
        base_url: str,
        plan: str = "demo",
        api_key: str = "",
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        max_retries: int = 2,
        backoff_seconds: float = 0.5,
        max_wait_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._on_request = on_request
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "CryptoVault/1.0 (+https://github.com/cryptovault)"
        if api_key:
            self.session.headers[KEY_HEADERS[plan]] = api_key

    @classmethod
    def from_settings(cls, **overrides: Any) -> CoinGeckoClient:
        from markets import budget

        options: dict[str, Any] = {
            "base_url": settings.COINGECKO_BASE_URL,
            "plan": settings.COINGECKO_PLAN,
            "api_key": settings.COINGECKO_API_KEY,
            "on_request": budget.credits_spend,
        }
        options.update(overrides)
        return cls(**options)

    # --- calls ------------------------------------------------------------------

    def ping(self) -> dict[str, Any]:
        return self._object("/ping")

    def markets(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """All the given coins in ONE request, with a 7-day sparkline."""
        ids = list(ids)
        data = self._get(
            "/coins/markets",
            {
                "vs_currency": "usd",
                "ids": ",".join(ids),
                "per_page": max(len(ids), 1),
                "page": 1,
                "sparkline": "true",
                "price_change_percentage": "24h",
            },
        )
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise CoinGeckoError("/coins/markets did not answer a list of coins")
        return data

    def coin(self, coin_id: str) -> dict[str, Any]:
        return self._object(
            f"/coins/{coin_id}",
            {
                "localization": "false",
                "tickers": "false",
                "community_data": "false",
                "developer_data": "false",
                "sparkline": "false",
            },
        )

    def market_chart(self, coin_id: str, days: int) -> dict[str, Any]:
        data = self._object(f"/coins/{coin_id}/market_chart", {"vs_currency": "usd", "days": days})
        if not isinstance(data.get("prices"), list):
            raise CoinGeckoError("market_chart answered without prices")
        return data

    def ohlc(self, coin_id: str, days: int) -> list[list[float]]:
        data = self._get(f"/coins/{coin_id}/ohlc", {"vs_currency": "usd", "days": days})
        if not isinstance(data, list):
            raise CoinGeckoError("ohlc did not answer a list of candles")
        return data

    # --- transport --------------------------------------------------------------

    def _object(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self._get(path, params)
        if not isinstance(data, dict):
            raise CoinGeckoError(f"{path} did not answer a JSON object")
        if "error" in data and len(data) == 1:
            raise CoinGeckoError(f"{path}: {data['error']}", status=404)
        return data

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as error:
                # Nothing reached CoinGecko (no network, DNS, refused): no credit spent.
                failure = CoinGeckoError(f"{path}: {error.__class__.__name__}: {error}")
                retry_after = None
            else:
                if self._on_request is not None:
                    self._on_request()  # CoinGecko answered: this call counts
                if response.status_code == 200:
                    return self._json(path, response)
                retry_after = _retry_after(response)
                failure = CoinGeckoError(
                    f"{path}: HTTP {response.status_code} {_error_message(response)}",
                    status=response.status_code,
                    retry_after=retry_after,
                )
                if response.status_code not in RETRY_STATUSES:
                    raise failure
            if attempt > self.max_retries:
                raise failure
            wait = self._backoff(attempt, retry_after)
            if wait is None:
                raise failure
            logger.info("CoinGecko %s failed (%s); retry %d in %.2fs", path, failure, attempt, wait)
            self._sleep(wait)

    def _backoff(self, attempt: int, retry_after: float | None) -> float | None:
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait_seconds else None
        base = self.backoff_seconds * 2 ** (attempt - 1)
        jitter = random.uniform(0, base / 2)  # noqa: S311 - backoff jitter, not a secret
        return min(self.max_wait_seconds, base / 2 + jitter)

    @staticmethod
    def _json(path: str, response: requests.Response) -> Any:
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            raise CoinGeckoError(f"{path}: expected JSON, got {content_type or 'no type'}")
        try:
            return json_loads(response.content)
        except ValueError:
            raise CoinGeckoError(f"{path}: malformed JSON body") from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_message(response: requests.Response) -> str:
    try:
        body = json_loads(response.content)
    except ValueError:
        return "(non-JSON body)"
    if isinstance(body, dict):
        status = body.get("status") or body.get("error", {})
        if isinstance(status, dict):
            return str(status.get("error_message") or status.get("status", {}))
        return str(body.get("error", ""))
    return ""
