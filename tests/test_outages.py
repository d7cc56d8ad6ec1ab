"""Outages (SPEC §6, issue 12): the site keeps serving while Redis is down, and the
database connections that PostgreSQL drops are opened again.

Redis tests run the app in this process against a redis-server of their own (a
free port, no persistence) that they kill mid-run and start again on the same
port: nothing is patched, the failures are real refused connections. The
PostgreSQL test runs gunicorn (production's HTTP tier, persistent connections) and
has PostgreSQL terminate its connections while orders are being placed.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches

from accounts.tests.factories import PASSWORD, api_for
from accounts.tokens import tokens_for
from cryptovault import cache_fallback
from markets import feed
from markets.models import PriceTick
from markets.tests.conftest import markets_payload
from tests.processes import child_env, run_manage
from tests.servers import free_port, gunicorn_command, served
from trading.models import Order
from trading.tests.factories import TraderFactory

RETRY_SECONDS = 1.0  # the breaker's pause between two tries of a dead Redis
OUTAGE_LOGGER = "cryptovault.cache_fallback"
# Test accounts' passphrases (a factory-made trader's is PASSWORD).
TRADER_PASSPHRASE = PASSWORD
WRONG_PASSPHRASE = "whatever it is"
NEW_PASSPHRASE = "a long enough passphrase"


# --- a redis-server of our own ------------------------------------------------------


class RedisServer:
    """A redis-server on a free loopback port that a test may kill and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((self.workdir / "redis.log").read_text()) from None
                time.sleep(0.05)

    def kill(self) -> None:
        """An outage, not a shutdown: SIGKILL, and the port refuses from now on."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()


@pytest.fixture
def on_redis(settings, redis_server: RedisServer) -> Iterator[RedisServer]:
    """This process's caches and channel layer on the test's own Redis, as production
    configures them (the fallback client), with a short pause between retries."""
    options = {
        "CLIENT_CLASS": "cryptovault.cache_fallback.FallbackClient",
        "FALLBACK_RETRY_SECONDS": RETRY_SECONDS,
        "SOCKET_CONNECT_TIMEOUT": 1,
        "SOCKET_TIMEOUT": 1,
    }
    redis_cache = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_server.url}
    settings.CACHES = {
        "default": {**redis_cache, "KEY_PREFIX": "cv", "OPTIONS": options},
        "ratelimit": {**redis_cache, "KEY_PREFIX": "cv:rl", "OPTIONS": options},
        "process": django_settings.PROCESS_CACHE,
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_server.url], "prefix": "cv:channels"},
        }
    }
    yield redis_server
    # The port may be handed out again: the next test must not inherit this outage.
    cache_fallback._breakers.pop(redis_server.url, None)


def outage_lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == OUTAGE_LOGGER and words in record.getMessage()
    ]


def redis_back(server: RedisServer) -> None:
    """Start Redis again on its port and let the breaker's pause run out."""
    server.start()
    time.sleep(RETRY_SECONDS + 0.2)


def sources(response: Any) -> set[str]:
    return {row["source"] for row in response.json()["coins"]}


def a_second_later() -> None:
    """The per-process board memo lasts a second: forget it, as a second would."""
    caches["process"].clear()


# --- prices ------------------------------------------------------------------------


@pytest.fixture
def coingecko(httpserver, settings):
    settings.PRICE_SOURCE = "coingecko"
    settings.COINGECKO_BASE_URL = httpserver.url_for("/api/v3")
    return httpserver


@pytest.mark.django_db
def test_prices_come_straight_from_coingecko_when_the_cache_is_gone(client, on_redis, coingecko):
    # Given: prices read and cached in Redis
    coingecko.expect_request("/api/v3/coins/markets").respond_with_json(markets_payload())
    coingecko.expect_request("/api/v3/coins/bitcoin").respond_with_json(
        {"description": {"en": "Digital gold."}, "market_data": {}, "links": {}}
    )
    assert sources(client.get("/api/crypto")) == {"coingecko"}
    upstream_calls = len(coingecko.log)

    # When: Redis dies
    on_redis.kill()
    a_second_later()
    board = client.get("/api/crypto")
    detail = client.get("/api/crypto/bitcoin")
    page = client.get("/markets/")

    # Then: prices asked of CoinGecko again, every page answers
    assert board.status_code == 200, board.content
    assert sources(board) == {"coingecko"}
    assert len(coingecko.log) > upstream_calls
    assert detail.status_code == 200, detail.content
    assert detail.json()["description"] == "Digital gold."
    assert page.status_code == 200


@pytest.mark.django_db
def test_prices_are_the_last_stored_ticks_labelled_stale_when_coingecko_fails_too(
    client, on_redis, coingecko
):
    # Given: one good board, stored as ticks; CoinGecko fails from then on
    coingecko.expect_ordered_request("/api/v3/coins/markets").respond_with_json(markets_payload())
    coingecko.expect_request("/api/v3/coins/markets").respond_with_data("down", status=400)
    coingecko.expect_request("/api/v3/coins/bitcoin").respond_with_data("down", status=400)
    assert sources(client.get("/api/crypto")) == {"coingecko"}
    assert PriceTick.objects.filter(source="coingecko").count() == 10

    # When: Redis dies, with the last good board in it
    on_redis.kill()
    a_second_later()
    board = client.get("/api/crypto")
    detail = client.get("/api/crypto/bitcoin")
    page = client.get("/markets/")

    # Then: the stored ticks, labelled stale
    assert board.status_code == 200, board.content
    assert sources(board) == {"stale"}
    assert board.json()["coins"][0]["price_usd"] == "64250.12000000"
    assert detail.status_code == 200, detail.content
    assert detail.json()["source"] == "stale"
    assert page.status_code == 200
    assert "stale" in page.content.decode()


# --- limits, lockout, health, recovery --------------------------------------------------


@pytest.mark.django_db
def test_limits_count_per_process_while_redis_is_down_and_go_back_to_it(
    client, on_redis, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO)
    trader = TraderFactory.create()
    api = api_for(trader)
    assert client.get("/health").json()["status"] == "ok"

    # When: Redis dies
    on_redis.kill()

    # Then: nobody is refused a first request...
    signup = client.post(
        "/api/auth/signup",
        {"email": "new@example.com", "password": NEW_PASSPHRASE, "name": "New"},
        content_type="application/json",
    )
    assert signup.status_code == 201, signup.content
    first_login = client.post(
        "/api/auth/login",
        {"email": "x0@example.com", "password": WRONG_PASSPHRASE},
        content_type="application/json",
    )
    assert first_login.status_code == 401, first_login.content
    with django_capture_on_commit_callbacks(execute=True):
        order = api.post(
            "/api/orders",
            {"coin": "bitcoin", "side": "buy", "type": "market", "quantity": "0.01"},
            format="json",
        )
    assert order.status_code == 201, order.content
    assert Order.objects.get().status == "filled"

    # ...the login limit still holds, on this process's counters: 10 a minute per IP
    for n in range(1, 10):
        attempt = {"email": f"x{n}@example.com", "password": WRONG_PASSPHRASE}
        answer = client.post("/api/auth/login", attempt, content_type="application/json")
        assert answer.status_code == 401, (n, answer.content)
    eleventh = client.post(
        "/api/auth/login",
        {"email": "x10@example.com", "password": WRONG_PASSPHRASE},
        content_type="application/json",
    )
    assert eleventh.status_code == 429
    assert eleventh.json()["code"] == "rate_limited"

    # ...and so does the lockout (5 failures, from as many addresses)
    for n in range(5):
        client.post(
            "/api/auth/login",
            {"email": trader.email, "password": WRONG_PASSPHRASE},
            content_type="application/json",
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
    locked = client.post(
        "/api/auth/login",
        {"email": trader.email, "password": TRADER_PASSPHRASE},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.99",
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"

    # ...the order's websocket news is lost, logged, not raised
    assert any("Order changes not sent" in r.getMessage() for r in caplog.records)

    # ...health says which part is degraded
    health = client.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "error"
    assert "Redis unreachable" in body["checks"]["cache"]["error"]
    assert body["checks"]["channel_layer"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"

    # ...and the outage was logged once, for all those requests
    assert len(outage_lines(caplog, "unreachable")) == 1

    # When: Redis comes back on its port, the app still running
    redis_back(on_redis)

    # Then: healthy again, and the counters are on Redis
    health = client.get("/health")
    assert health.json()["status"] == "ok", health.json()
    answer = client.post(
        "/api/auth/login",
        {"email": "back@example.com", "password": WRONG_PASSPHRASE},
        content_type="application/json",
        REMOTE_ADDR="203.0.113.7",
    )
    assert answer.status_code == 401
    assert on_redis.client().keys("cv:rl:*"), "the rate-limit counters are not on Redis"
    assert len(outage_lines(caplog, "is back")) == 1
    assert len(outage_lines(caplog, "unreachable")) == 1


@pytest.mark.django_db
def test_a_dead_redis_is_tried_again_only_after_the_pause(on_redis):
    # Given: Redis down and noticed
    cache = caches["default"]
    on_redis.kill()
    cache.set("k", 1)
    breaker = cache_fallback.breaker_for(on_redis.url)
    assert breaker.outage() is not None

    # When: many calls within the pause
    tried = 0
    for _ in range(50):
        if breaker.allows_call():
            tried += 1
    # Then: none of them dials Redis; after the pause, exactly one does
    assert tried == 0
    time.sleep(RETRY_SECONDS + 0.1)
    assert [breaker.allows_call() for _ in range(5)] == [True, False, False, False, False]


@pytest.mark.django_db
def test_only_an_answer_from_redis_ends_an_outage(on_redis, caplog):
    # Given: Redis down and noticed, and the pause over
    cache = caches["default"]
    on_redis.kill()
    cache.set("k", 1)
    time.sleep(RETRY_SECONDS + 0.1)

    # When: the end of a request closes the caches (no talk with Redis)
    cache.close()

    # Then: still an outage, and the next call does not log a second one
    breaker = cache_fallback.breaker_for(on_redis.url)
    assert breaker.outage() is not None
    assert cache.get("k") == 1
    assert outage_lines(caplog, "is back") == []
    assert len(outage_lines(caplog, "unreachable")) == 1


def test_a_hung_redis_costs_one_timeout_per_pause_not_one_per_request(settings):
    # Given: a "Redis" that accepts connections and never answers
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)
        location = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": location,
                "OPTIONS": {
                    "CLIENT_CLASS": "cryptovault.cache_fallback.FallbackClient",
                    "FALLBACK_RETRY_SECONDS": RETRY_SECONDS,
                    "SOCKET_CONNECT_TIMEOUT": 0.5,
                    "SOCKET_TIMEOUT": 0.5,
                },
            }
        }
        cache = caches["default"]
        try:
            # When: one call times out, then many follow within the pause
            started = time.monotonic()
            cache.set("k", 1)
            first = time.monotonic() - started
            started = time.monotonic()
            for n in range(100):
                cache.set(f"k{n}", n)
            following = time.monotonic() - started
        finally:
            cache_fallback._breakers.pop(location, None)

    # Then: only the first one waited for Redis; the others answered from memory
    assert first >= 0.5
    assert following < 0.5
    assert cache.get("k42") == 42


def test_logs_name_the_redis_server_without_its_password():
    assert (
        cache_fallback.redis_name(
            "redis://:s3cret@redis.internal:6380/2"
        )  # pragma: allowlist secret
        == "redis://redis.internal:6380/2"
    )


@pytest.mark.django_db
def test_the_fallback_counts_so_nothing_fails_open(on_redis):
    on_redis.kill()
    cache = caches["ratelimit"]

    assert cache.add("n", 0, 60) is True
    assert [cache.incr("n") for _ in range(3)] == [1, 2, 3]
    # A counter Redis held before it went away starts again here rather than failing
    assert cache.incr("held-by-redis") == 1
    assert cache.get("n") == 3


# --- the price feed ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_feed_keeps_going_on_a_local_lease_while_redis_is_down(on_redis, caplog):
    caplog.set_level(logging.INFO)
    price_feed = feed.PriceFeed()
    feed.listeners_touch()  # as the consumers of /ws/prices do, every few seconds
    assert price_feed.step() is True

    on_redis.kill()
    a_second_later()
    for _ in range(3):
        feed.listeners_touch()
        assert price_feed.step() is True  # prices read, orders filled; no exception

    assert price_feed.leads_alone is True
    broadcast_failures = [r for r in caplog.records if "Price broadcast failed" in r.getMessage()]
    assert len(broadcast_failures) == 1

    # When Redis returns, the lease is taken on Redis again
    redis_back(on_redis)
    feed.listeners_touch()
    assert price_feed.step() is True
    assert price_feed.leads_alone is False
    assert on_redis.client().get(f"cv:1:{feed.LEADER_KEY}") is not None
    assert any("Price broadcast works again" in r.getMessage() for r in caplog.records)


# --- PostgreSQL drops the connections -------------------------------------------------


def _database_url() -> str:
    """The test database (pytest-django's), as the child processes' DATABASE_URL."""
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _call(url: str, body: dict[str, Any] | None, token: str) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def gunicorn_on_test_database(transactional_db, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn as production runs it (gthread workers, persistent connections) on the
    test database; yields its base URL and its log."""
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: terminating backends is what this test does")
    port = free_port()
    env = child_env(
        DATABASE_URL=_database_url(),
        REDIS_URL=None,
        PRICE_SOURCE="simulated",
        JWT_SIGNING_KEY=django_settings.JWT_SIGNING_KEY,
    )
    command = gunicorn_command(
        port, "--workers", "2", "--worker-class", "gthread", "--threads", "2"
    )
    url, log_path = f"http://127.0.0.1:{port}", tmp_path / "gunicorn.log"
    with served(command, url=url, env=env, log_path=log_path):
        yield url, log_path


def _terminate_app_connections() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(cursor.fetchall())


@pytest.mark.timeout(180)
def test_orders_survive_postgres_dropping_the_connections(tracked_coins, gunicorn_on_test_database):
    base, log = gunicorn_on_test_database
    traders = [TraderFactory.create(email=f"trader{n}@example.com") for n in range(6)]
    tokens = [str(tokens_for(trader)["access"]) for trader in traders]
    order = {"coin": "bitcoin", "side": "buy", "type": "market", "quote_amount": "10"}
    statuses: list[int] = []
    stop = threading.Event()

    def place_orders(token: str) -> None:
        # Under the 20 orders a minute a user may place, for the whole test.
        while not stop.wait(0.25):
            statuses.append(_call(f"{base}/api/orders", order, token))

    # Given: six clients placing orders through gunicorn, its connections persistent
    workers = [threading.Thread(target=place_orders, args=(token,)) for token in tokens]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1.0)
        # When: PostgreSQL terminates every connection of the app, three times
        terminated = 0
        for _ in range(3):
            terminated += _terminate_app_connections()
            time.sleep(0.7)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)

    # Then: some connections were really cut, and the requests after the cut all
    # succeed on new connections
    assert terminated > 0
    assert statuses.count(201) > 10
    after = [_call(f"{base}/api/orders", order, token) for token in tokens]
    assert after == [201] * len(tokens)
    # ...every balance still equals its ledger (a request cut short wrote nothing)
    ledger = run_manage("check_ledger", env=child_env(DATABASE_URL=_database_url(), REDIS_URL=None))
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    assert "Ledger OK" in ledger.stdout
    # ...and a request that lost its connection mid-transaction got a clean refusal
    assert set(statuses) <= {201, 500, 503}, statuses
    assert 500 not in statuses, log.read_text()[-6000:]
