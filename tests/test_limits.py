"""Rate limits answer 429 with the seconds left in the window (issue 11, finding 12)."""

from __future__ import annotations

import zlib
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from rest_framework.test import APIClient

from cryptovault.limits import RateLimited, limit_check

pytestmark = pytest.mark.django_db


def at_time(monkeypatch, now: float) -> None:
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


def window_end(key: str, period: int, now: int) -> int:
    """Where django-ratelimit's fixed window for ``key`` ends (its jitter included)."""
    end = now - now % period + zlib.crc32(key.encode()) % period
    return end + period if end < now else end


def test_the_limit_says_how_long_is_left(monkeypatch):
    now = 1_800_000_000
    at_time(monkeypatch, now)
    for _ in range(3):
        limit_check(group="test", key="user:1", rate="3/m")

    with pytest.raises(RateLimited) as refused:
        limit_check(group="test", key="user:1", rate="3/m")

    assert refused.value.retry_after == window_end("user:1", 60, now) - now + 1
    # Another key has its own allowance
    limit_check(group="test", key="user:2", rate="3/m")


@pytest.mark.parametrize("elapsed", [0, 17, 41])
def test_the_api_429_carries_the_seconds_left(monkeypatch, elapsed):
    start = 1_800_000_000
    at_time(monkeypatch, start)
    client = APIClient()
    body = {"email": "x@example.com"}
    for _ in range(3):
        client.post("/api/auth/forgot-password", body, format="json")

    at_time(monkeypatch, start + elapsed)
    response = client.post("/api/auth/forgot-password", body, format="json")

    if response.status_code != 429:  # the window ended meanwhile: a fresh allowance
        assert window_end("ip:127.0.0.1", 60, start) <= start + elapsed
        return
    left = window_end("ip:127.0.0.1", 60, start + elapsed) - (start + elapsed) + 1
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) == left


def test_a_page_429_carries_the_seconds_left_and_says_them(client, monkeypatch):
    now = 1_800_000_000
    at_time(monkeypatch, now)
    for _ in range(3):
        client.post("/accounts/password/forgot/", {"email": "x@example.com"})

    response = client.post("/accounts/password/forgot/", {"email": "x@example.com"})

    left = window_end("ip:127.0.0.1", 60, now) - now + 1
    assert response.status_code == 429
    assert int(response["Retry-After"]) == left
    assert f"Try again in {left} second".encode() in response.content
