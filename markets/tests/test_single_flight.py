"""The cached single flight: one producer for many callers."""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

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


def _in_thread(target) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


def test_an_expired_value_is_served_while_one_caller_refreshes_it():
    """Stale-while-revalidate: when the value expires, the caller that refreshes it waits
    for the producer; everyone else is answered at once with the previous value."""
    assert single_flight("sf-swr", lambda: "old", timeout=60, fallback=lambda: "fallback") == "old"
    cache.delete("sf-swr")  # the period is over
    producing, release = threading.Event(), threading.Event()

    def slow_produce() -> str:
        producing.set()
        release.wait(10)
        return "new"

    def never() -> str:
        raise AssertionError("a second producer ran")

    try:
        refresher, refreshed = _in_thread(
            lambda: single_flight("sf-swr", slow_produce, timeout=60, fallback=lambda: "fb")
        )
        assert producing.wait(5)
        reader, read = _in_thread(
            lambda: single_flight("sf-swr", never, timeout=60, fallback=lambda: "fb")
        )
        reader.join(5)  # without stale-while-revalidate it polls until the refresh ends
        assert read == ["old"]
    finally:
        release.set()
    refresher.join(5)
    assert refreshed == ["new"]
    assert single_flight("sf-swr", never, timeout=60, fallback=lambda: "fb") == "new"


def test_a_cold_cache_still_makes_callers_wait_for_the_one_refresh():
    producing, release = threading.Event(), threading.Event()

    def slow_produce() -> str:
        producing.set()
        release.wait(10)
        return "value"

    refresher, refreshed = _in_thread(
        lambda: single_flight("sf-cold", slow_produce, timeout=60, fallback=lambda: "fb")
    )
    assert producing.wait(5)
    reader, read = _in_thread(
        lambda: single_flight("sf-cold", lambda: "second", timeout=60, fallback=lambda: "fb")
    )
    release.set()
    refresher.join(5)
    reader.join(5)
    assert refreshed == read == ["value"]
