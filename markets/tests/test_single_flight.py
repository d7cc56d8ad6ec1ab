"""The cached single flight: one producer for many callers."""

from __future__ import annotations

import threading
import time

from markets.single_flight import single_flight


def test_single_flight_runs_the_producer_once_for_many_callers():
    calls: list[int] = []

    def produce() -> str:
        calls.append(1)
        time.sleep(0.3)
        return "value"

    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                single_flight("sf-test", produce, timeout=60, fallback=lambda: "fallback")
            )
        )
        for _ in range(25)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert calls == [1]
    assert results == ["value"] * 25
