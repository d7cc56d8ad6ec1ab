"""`make prod` serving: email through the worker, websockets on every ws process, a rate
limit shared by the web workers, concurrent orders that leave the ledger exact.

Each test is its own client (a 127.0.0.x source address), so no test spends another's
rate-limit allowance. The faults (the feed leader killed, SIGTERM) run after these, in
test_2_faults.py.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.topology.instance import BROADCAST_SECONDS, Prod
from tests.topology.support import (
    PASSWORD,
    Answer,
    SmtpSink,
    call,
    cpu_ticks,
    next_of_type,
    prices_socket,
    unix_connections,
    verification_code,
)

pytestmark = pytest.mark.timeout(300)  # the first test also waits for make prod to start


def test_the_verification_email_leaves_through_the_task_worker(prod: Prod, smtp_sink: SmtpSink):
    address = "topology-mail@example.com"
    body = {"email": address, "password": PASSWORD, "name": "Mail"}
    signed_up = call(prod.url, "POST", "/api/auth/signup", body, source="127.0.0.2")
    assert signed_up.status == 201, signed_up

    deadline = time.monotonic() + 30
    while not smtp_sink.to(address) and time.monotonic() < deadline:
        time.sleep(0.1)
    received = smtp_sink.to(address)
    assert received, "no email reached the SMTP sink within 30 s"
    sent = received[0]
    workers = prod.pids("celery")
    print(f"sent by pid {sent.sender_pid}: {sent.sender_command}; celery pids {workers}")
    assert sent.sender_pid in workers, f"sent by {sent.sender_command!r}, not the task worker"
    assert "worker" in sent.sender_command or "celery" in sent.sender_command

    code = verification_code(sent.message)
    verified = call(
        prod.url, "POST", "/api/auth/verify-email", {"email": address, "code": code},
        source="127.0.0.2",
    )  # fmt: skip
    assert verified.status == 200, verified
    assert verified.body["user"]["email_verified"] is True


def test_eight_websocket_clients_all_receive_prices_from_every_ws_process(prod: Prod):
    ws_pids = prod.pids("uvicorn")
    assert len(ws_pids) == 2, ws_pids
    before = {pid: unix_connections(pid, prod.run_dir) for pid in ws_pids}
    sockets = [prices_socket(prod.url) for _ in range(8)]
    try:
        for socket in sockets:
            assert next_of_type(socket, "snapshot", within=10)["prices"]
        held = {pid: unix_connections(pid, prod.run_dir) - before[pid] for pid in ws_pids}
        print(f"websockets per uvicorn process: {held}")
        # Three broadcast periods: the feed may be between steps, the lease between renewals.
        for socket in sockets:
            message = next_of_type(socket, "prices", within=3 * BROADCAST_SECONDS + 4)
            assert message["prices"] and message["at"]
    finally:
        for socket in sockets:
            socket.close()
    assert sum(held.values()) == 8, held
    assert all(count > 0 for count in held.values()), f"a ws process got no client: {held}"


def signup_burst(prod: Prod, source: str, count: int) -> list[Answer]:
    """``count`` sign-ups at once from ``source``, each with its own address."""

    def one(index: int) -> Answer:
        body = {"email": f"burst-{source}-{index}@example.com", "password": PASSWORD, "name": "B"}
        return call(prod.url, "POST", "/api/auth/signup", body, source=source)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_signups_from_one_address_stop_at_five_a_minute_across_the_web_workers(prod: Prod):
    web_pids = prod.pids("gunicorn")
    ticks = {pid: cpu_ticks(pid) for pid in web_pids}
    # Eight at once, so that both workers take some: counters kept per process would let
    # each take five. A burst that straddles the limiter's minute boundary (well under a
    # second in sixty) counts in two windows: that client is given a second try.
    for source in ("127.0.0.3", "127.0.0.13"):
        answers = signup_burst(prod, source, 8)
        statuses = Counter(answer.status for answer in answers)
        if statuses[201] <= 5:
            break
    spent = {pid: cpu_ticks(pid) - ticks[pid] for pid in web_pids}
    print(f"sign-up statuses {dict(statuses)}; CPU ticks per gunicorn process {spent}")
    assert statuses == {201: 5, 429: 3}, statuses
    refused = next(answer for answer in answers if answer.status == 429)
    assert int(refused.headers["retry-after"]) > 0
    assert refused.body["code"] == "rate_limited", refused.body


USERS = 3
ORDERS_PER_USER = 18  # under the 20 a minute each user may place (SPEC §4): none is refused
SETUP_USERS = """
from django.utils import timezone
from accounts.models import User
from trading.services import account_fund_initial
for i in range({users}):
    user = User.objects.create_user(
        email=f"trader{{i}}@example.com", password={password!r}, name="T",
        email_verified_at=timezone.now(),
    )
    account_fund_initial(user=user)
"""


def order_body(index: int) -> dict[str, str]:
    """Alternately bitcoin and ethereum, by quote amount or by quantity."""
    coin = ("bitcoin", "ethereum")[index % 2]
    body = {"coin": coin, "side": "buy", "type": "market", "client_order_id": str(uuid.uuid4())}
    if index % 3 == 0:
        body["quantity"] = "0.0005" if coin == "bitcoin" else "0.01"
    else:
        body["quote_amount"] = "25.00"
    return body


def test_concurrent_market_orders_through_nginx_leave_the_ledger_exact(prod: Prod):
    made = prod.manage("shell", "-c", SETUP_USERS.format(users=USERS, password=PASSWORD))
    assert made.returncode == 0, made.stderr
    tokens = []
    for i in range(USERS):
        body = {"email": f"trader{i}@example.com", "password": PASSWORD}
        login = call(prod.url, "POST", "/api/auth/login", body, source="127.0.0.4")
        assert login.status == 200, login
        tokens.append(login.body["access"])
    jobs = [(tokens[n % USERS], order_body(n)) for n in range(USERS * ORDERS_PER_USER)]

    def place(job: tuple[str, dict[str, str]]) -> Answer:
        token, body = job
        return call(prod.url, "POST", "/api/orders", body, token=token, source="127.0.0.4")

    with ThreadPoolExecutor(max_workers=27) as pool:
        answers = list(pool.map(place, jobs))
    statuses = Counter(answer.status for answer in answers)
    print(f"54 concurrent market orders: {dict(statuses)}")
    assert statuses == {201: USERS * ORDERS_PER_USER}, [a.body for a in answers if a.status != 201]
    # A client that retries (its answer lost) sends the same client_order_id: the first
    # order comes back, nothing is placed twice, whichever web worker takes the retry.
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        retried = list(pool.map(place, jobs[:USERS]))
    assert [a.status for a in retried] == [200] * USERS, [a.body for a in retried]
    assert [a.body["id"] for a in retried] == [a.body["id"] for a in answers[:USERS]]

    for i, token in enumerate(tokens):
        accepted = [a.body for (t, _), a in zip(jobs, answers, strict=True) if t == token]
        assert all(order["status"] == "filled" for order in accepted), accepted
        listed = call(prod.url, "GET", "/api/orders?status=filled", token=token, source="127.0.0.4")
        assert listed.body["count"] == len(accepted), f"trader{i}: orders lost or doubled"
        balances = call(prod.url, "GET", "/api/balances", token=token, source="127.0.0.4").body
        found = {row["asset"]: Decimal(row["available"]) + Decimal(row["held"]) for row in balances}
        expected = defaultdict(Decimal, {"USD": Decimal(10000)})
        for order in accepted:
            quantity = Decimal(order["filled_quantity"])
            value = quantity * Decimal(order["average_price"])
            notional = value.quantize(Decimal("1e-8"), rounding=ROUND_HALF_UP)
            expected["USD"] -= notional + Decimal(order["fee"])
            expected[order["coin"]] += quantity
        assert {asset: found.get(asset, Decimal(0)) for asset in expected} == dict(expected), i

    ledger = prod.manage("check_ledger")
    print(ledger.stdout.strip())
    assert ledger.returncode == 0, ledger.stderr
    assert "Ledger OK" in ledger.stdout
