"""The CoinGecko REST client: one ``requests`` session, timeouts, bounded retries.

Every failure (network, timeout, 4xx/5xx, HTML or malformed bodies) surfaces as one
:class:`CoinGeckoError` carrying the cause, so callers decide between stale values
and the simulated feed. Retries back off with jitter on 429 and 5xx and honour
``Retry-After`` up to a cap; a longer wait is not slept through, it is reported,
and handed to a shared :class:`RetryAfterStore` so that no process of the
deployment calls CoinGecko again before it has passed (the 429 answers seen carry
``retry-after: 119``, sometimes on a Cloudflare HTML page instead of JSON).

Bodies are read with every number as a ``Decimal`` taken from its text, so that
``4.74762e-07`` keeps all its digits; :func:`number` reads the values CoinGecko
sometimes sends as strings (``"299.72"``, ``"null"``). See
``../shared/reference/coingecko.md`` for the API's facts.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from datetime import UTC
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

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


class RetryAfterStore(Protocol):
    """Where the deployment keeps the moment before which nobody calls CoinGecko."""

    def remaining(self, now: float) -> float:
        """Seconds left to wait at ``now`` (UNIX seconds), 0 when none."""
        ...

    def extend(self, until: float) -> None:
        """Wait at least until ``until`` (UNIX seconds); a later deadline already set wins."""
        ...


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
        retry_after: RetryAfterStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._on_request = on_request
        self._retry_after = retry_after
        self._clock = clock
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
            "retry_after": budget.SharedRetryAfter(),
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
        """``{"prices": [[ms, price], ...], ...}`` as sent: points may carry ``null``."""
        data = self._object(f"/coins/{coin_id}/market_chart", {"vs_currency": "usd", "days": days})
        if not isinstance(data.get("prices"), list):
            raise CoinGeckoError("market_chart answered without prices")
        return data

    def ohlc(self, coin_id: str, days: int) -> list[list[Any]]:
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
        self._check_retry_after(path)
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
                retry_after = _retry_after(response, self._clock())
                if retry_after is not None and self._retry_after is not None:
                    # Every process waits, not only this one (and not only this call).
                    self._retry_after.extend(self._clock() + retry_after)
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

    def _check_retry_after(self, path: str) -> None:
        """Refuse to call while a ``Retry-After`` from CoinGecko runs: no request, no credit.

        Checked once per call: a short wait that this call sleeps through itself ends
        with the retry it was waiting for."""
        if self._retry_after is None:
            return
        wait = self._retry_after.remaining(self._clock())
        if wait > 0:
            raise CoinGeckoError(
                f"{path}: not called, CoinGecko asked to wait {wait:.0f}s more (Retry-After)",
                status=429,
                retry_after=wait,
            )

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
            return json_decimal_loads(response.content)
        except ValueError:
            raise CoinGeckoError(f"{path}: malformed JSON body") from None


def client() -> CoinGeckoClient:
    """The client every read of market data goes through, built from the settings on
    each call as a new process would build it (tests give it a clock here)."""
    return CoinGeckoClient.from_settings()


def json_decimal_loads(body: bytes) -> Any:
    """JSON from CoinGecko with every non-integer number as a ``Decimal`` from its own
    text (bounded nesting, no NaN or Infinity); ValueError when unreadable."""
    return json_loads(body, parse_float=Decimal)


def number(value: Any) -> Decimal | None:
    """A number CoinGecko sent, as a finite ``Decimal``, or None for anything else.

    Seen in real answers: JSON numbers (read as Decimal or int), the same numbers as
    strings (``"299.72373285508"``), and ``null``, ``"null"`` or ``""`` for no value.
    A float (never produced by our reader) is taken through its shortest repr."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def _retry_after(response: requests.Response, now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date), whatever the
    body is (JSON, or a Cloudflare HTML page)."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def _error_message(response: requests.Response) -> str:
    try:
        body = json_decimal_loads(response.content)
    except ValueError:
        return "(non-JSON body)"
    if isinstance(body, dict):
        status = body.get("status") or body.get("error", {})
        if isinstance(status, dict):
            return str(status.get("error_message") or status.get("status", {}))
        return str(body.get("error", ""))
    return ""
