"""/health reports the database, cache and channel layer; /health/live just answers."""

import json
import logging

import pytest
from django.conf import settings
from django.test import override_settings

from cryptovault import cache_fallback, health
from tests.processes import child_env, run_python


@pytest.mark.django_db
def test_health_reports_every_check_ok(client):
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
        "price_source": "ok",
    }
    assert "no-store" in response["Cache-Control"]


def test_liveness_touches_nothing(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # port 1 on loopback refuses at once


@pytest.fixture
def unreachable_cache(monkeypatch):
    """Both caches on a Redis that refuses, configured as production configures them
    (django-redis with the fallback client of cryptovault.cache_fallback); the checks'
    memory of what failed starts empty."""
    monkeypatch.setattr(health, "_failing", {})
    redis_cache = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": UNREACHABLE_REDIS,
        "OPTIONS": {
            "CLIENT_CLASS": "cryptovault.cache_fallback.FallbackClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
    caches = {
        "default": redis_cache,
        "ratelimit": {**redis_cache, "KEY_PREFIX": "rl"},
        "process": settings.PROCESS_CACHE,
    }
    with override_settings(CACHES=caches):
        yield
    cache_fallback._breakers.pop(UNREACHABLE_REDIS, None)


@pytest.mark.django_db
def test_health_is_degraded_but_up_when_the_cache_is_unreachable(client, unreachable_cache):
    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "error"
    assert "Redis unreachable" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_a_failing_check_is_logged_when_it_starts_failing_not_at_every_probe(
    client, unreachable_cache, caplog
):
    caplog.set_level(logging.WARNING, logger="cryptovault.health")

    for _ in range(3):
        assert client.get("/health").json()["checks"]["cache"]["status"] == "error"

    failures = [r for r in caplog.records if r.name == "cryptovault.health"]
    assert [r.getMessage().split(":")[0] for r in failures] == ["Health check cache failed"]


def test_health_answers_503_when_the_database_is_unreachable():
    # Port 1 on loopback refuses at once: a real connection failure, nothing patched.
    env = child_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/cryptovault", REDIS_URL=None)
    code = """
import json
from django.test import Client
response = Client().get("/health")
print(json.dumps({"status": response.status_code, "body": response.json(),
                  "request_id": response["X-Request-ID"]}))
"""
    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["status"] == "degraded"
    assert answer["body"]["checks"]["database"]["status"] == "error"
    assert answer["body"]["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_health_rejects_writes(client):
    assert client.post("/health").status_code == 405
