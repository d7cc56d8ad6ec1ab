"""/health reports the database, cache and channel layer; /health/live just answers."""

import json

import pytest
from django.test import override_settings

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


@pytest.mark.django_db
def test_health_is_degraded_but_up_when_the_cache_is_unreachable(client):
    unreachable = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    with override_settings(CACHES=unreachable):
        response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


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
