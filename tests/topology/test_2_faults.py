"""`make prod` under faults, after test_1_serving.py: the feed leader killed, then SIGTERM.

In this order on purpose: the SIGTERM test stops the session's instance, and the last
one starts `make prod` again on its database to stop it through make itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime

import pytest

from tests.topology.instance import Prod, prod_start, prod_stop
from tests.topology.support import (
    SmtpSink,
    alive,
    command_line,
    next_of_type,
    port_refuses,
    prices_socket,
)

pytestmark = pytest.mark.timeout(300)

FAILOVER_SECONDS = 30
STOP_SECONDS = 10


def feed_leader(prod: Prod) -> str | None:
    leader = prod.health()["checks"]["price_source"]["feed_leader"]
    return str(leader) if leader else None


def test_killing_the_feed_leader_hands_the_prices_to_another_feed(prod: Prod):
    socket = prices_socket(prod.url)
    try:
        next_of_type(socket, "snapshot", within=10)
        deadline = time.monotonic() + FAILOVER_SECONDS
        while (leader := feed_leader(prod)) is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert leader, "no feed leads"
        pid = int(leader.split(":")[1])
        assert pid in prod.pids("run_price_feed"), f"{leader}: {command_line(pid)!r}"

        os.kill(pid, signal.SIGKILL)  # no chance to resign: its lease must lapse
        killed_at = time.monotonic()
        while (successor := feed_leader(prod)) in (None, leader):
            assert time.monotonic() - killed_at < FAILOVER_SECONDS, f"still {successor}"
            time.sleep(0.5)
        took = time.monotonic() - killed_at
        print(f"leader {leader} killed; {successor} leads after {took:.1f} s")
        assert successor is not None
        assert int(successor.split(":")[1]) in prod.pids("run_price_feed")

        handed_over = datetime.now().astimezone()
        while True:  # a broadcast stamped after the new leader took over reaches the client
            message = next_of_type(socket, "prices", within=FAILOVER_SECONDS)
            if datetime.fromisoformat(message["at"]) >= handed_over:
                break
        assert message["prices"]
    finally:
        socket.close()


def stopped_by_sigterm(prod: Prod, target: int) -> tuple[int, list[str]]:
    """SIGTERM to ``target``; make's exit status, and what was left after ~10 s."""
    children = prod.pids()
    names = {pid: command_line(pid) for pid in children}
    os.kill(target, signal.SIGTERM)
    sent = time.monotonic()
    try:
        code = prod.process.wait(timeout=STOP_SECONDS + 5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make prod still running {STOP_SECONDS + 5} s after SIGTERM")
    while time.monotonic() - sent < STOP_SECONDS and (
        any(alive(pid) for pid in children) or not port_refuses(prod.host, prod.port)
    ):
        time.sleep(0.2)
    took = time.monotonic() - sent
    print(f"stopped in {took:.1f} s with exit code {code}; {len(children)} processes")
    left = [names[pid] for pid in children if alive(pid)]
    if not port_refuses(prod.host, prod.port):
        left.append(f"port {prod.port} still answers")
    if "still running after" in prod.log():
        left.append("a child ignored SIGTERM and was killed")
    return code, left


def test_sigterm_stops_every_process_frees_the_port_and_exits_0(prod: Prod):
    """SIGTERM goes to the supervisor (deploy/prod.py, make's child), as a process
    manager running it stops it; make then exits with its status. (SIGTERM to make
    itself is forwarded to the supervisor by GNU make, which then dies of the same
    signal whatever its child answered: a shell sees 143 there, never 0.)"""
    children = prod.pids()
    names = {pid: command_line(pid) for pid in children}
    for word in ("nginx", "gunicorn", "uvicorn", "run_price_feed", "celery"):
        assert any(word in line for line in names.values()), f"no {word} among {names}"
    supervisor = [pid for pid in children if "deploy/prod.py" in names[pid]]
    assert len(supervisor) == 1, names

    code, left = stopped_by_sigterm(prod, supervisor[0])
    assert not left, left
    assert code == 0, f"make prod exited with {code}"


def test_sigterm_to_make_itself_is_forwarded_and_stops_everything(
    prod: Prod, smtp_sink: SmtpSink, tmp_path
):
    """A process manager may signal make rather than its child: make passes SIGTERM to
    the supervisor, waits for it, then dies of the same signal (GNU make's way)."""
    if prod.process.poll() is None:  # this test run alone
        prod_stop(prod, drop_database=False)
    again = prod_start(tmp_path / "make-prod.log", smtp_port=smtp_sink.port, fresh_database=False)
    try:
        code, left = stopped_by_sigterm(again, again.process.pid)
        tail = "\n".join(again.log().splitlines()[-60:])  # this instance's, not the session's
        assert not left, f"{left}\n{tail}"
        assert code == -signal.SIGTERM, f"make prod exited with {code}\n{tail}"
        assert "prod | stopped" in " ".join(again.log().split()), tail
    finally:
        prod_stop(again, drop_database=False)
