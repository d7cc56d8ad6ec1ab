"""``python manage.py run_price_feed``: the price feed as a process of its own."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from markets.feed import PriceFeed


class Command(BaseCommand):
    help = (
        "Refresh prices, fill crossed orders and broadcast to /ws/prices. Run one or more; "
        "exactly one leads at a time (a cache lock), another takes over when it dies."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        feed = PriceFeed()
        self.stdout.write(f"Price feed {feed.owner} running; Ctrl+C to stop.")
        feed.run(stop)
