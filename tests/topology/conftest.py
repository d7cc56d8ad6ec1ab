"""One `make prod` for the whole session (tests.topology.instance), and an SMTP sink.

`make test-topology` runs these; the root conftest collects this directory only when
CRYPTOVAULT_TOPOLOGY=1. Test modules run in name order and the last one stops the
instance (test_2_faults.py ends with SIGTERM).

The pytest process itself never touches the instance's Redis database: the root
conftest's cache-clearing fixture is switched off here (it would empty it under the
running instance: the feed's lease, the rate-limit counters, the task queue).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.topology.instance import Prod, prod_start, prod_stop
from tests.topology.support import SmtpSink, smtp_sink_start

_running: list[Prod] = []  # for the failure report below


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Replaces the root conftest's: this process leaves the instance's Redis alone."""
    yield


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    controller, sink = smtp_sink_start()
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory, smtp_sink: SmtpSink) -> Iterator[Prod]:
    log_path = tmp_path_factory.mktemp("prod") / "make-prod.log"
    instance = prod_start(log_path, smtp_port=smtp_sink.port)
    _running.append(instance)
    try:
        yield instance
    finally:
        _running.remove(instance)
        prod_stop(instance)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Any:
    """A failing test shows the end of make prod's output beside its own."""
    report = yield
    if report.failed and _running:
        tail = "\n".join(_running[0].log().splitlines()[-200:])
        report.sections.append(("make prod (last 200 lines)", tail))
    return report
