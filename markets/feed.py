"""The price feed: one leader per deployment refreshes prices and broadcasts them.

Every ``PRICE_BROADCAST_SECONDS`` the leader reads the price board (which refreshes
upstream within the cache period and the credit budget), lets the trading engine
fill the orders the prices cross, and sends the board to the ``prices`` group.
Leadership is a cache key with an expiry, renewed by its holder every step: when
the leader dies the key lapses and another loop takes over. Nobody listening and
no order waiting for a price means no work at all, so no upstream calls.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from markets import prices

logger = logging.getLogger(__name__)

LEADER_KEY = "markets:feed:leader"
LISTENING_KEY = "markets:feed:listening"
PRUNE_KEY = "markets:feed:pruned"
GROUP = "prices"


def listeners_present() -> bool:
    return bool(cache.get(LISTENING_KEY))


def listeners_touch() -> None:
    """Called by websocket consumers: someone wants prices for a while."""
    cache.set(LISTENING_KEY, 1, settings.PRICE_BROADCAST_SECONDS * 3)


def board_message(
    board: dict[str, Any], *, kind: str, now: datetime | None = None
) -> dict[str, Any]:
    now = timezone.now() if now is None else now
    rows = [{**row, "age_seconds": prices.price_age_seconds(row, now)} for row in board["coins"]]
    return {"type": kind, "prices": rows, "at": now.isoformat()}


class PriceFeed:
    def __init__(self, *, owner: str | None = None) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease_seconds = max(settings.PRICE_BROADCAST_SECONDS * 3, 15)

    def is_leader(self) -> bool:
        """Take or renew the lease; True while this loop holds it."""
        if cache.add(LEADER_KEY, self.owner, self.lease_seconds):
            logger.info("Price feed %s is the leader", self.owner)
            return True
        if cache.get(LEADER_KEY) == self.owner:
            cache.touch(LEADER_KEY, self.lease_seconds)
            return True
        return False

    def resign(self) -> None:
        if cache.get(LEADER_KEY) == self.owner:
            cache.delete(LEADER_KEY)

    def step(self, *, now: datetime | None = None) -> bool:
        """One round; True when this loop published prices."""
        if not self.is_leader():
            return False
        from trading import selectors as trading_selectors
        from trading import services as trading_services

        if not listeners_present() and not trading_selectors.orders_waiting_for_price():
            return False
        board = prices.prices_board(now=now)
        at = timezone.now() if now is None else now
        fresh = {
            row["id"]: row
            for row in board["coins"]
            if row["source"] != "stale" and row["price_usd"] is not None
        }
        if fresh:
            try:
                filled = trading_services.on_tick(
                    prices=prices.prices_by_coin({"coins": list(fresh.values())}), at=at
                )
            except Exception:  # a failing fill must not stop the prices
                logger.exception("on_tick failed")
            else:
                if filled:
                    logger.info("Filled %d order(s) on this tick", filled)
        async_to_sync(get_channel_layer().group_send)(
            GROUP, {**board_message(board, kind="prices", now=at), "type": "prices.broadcast"}
        )
        if cache.add(PRUNE_KEY, 1, 3600):
            prices.ticks_prune(now=at)
        return True

    def run(self, stop: threading.Event) -> None:
        logger.info(
            "Price feed %s started (every %ss)", self.owner, settings.PRICE_BROADCAST_SECONDS
        )
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    self.step()
                except Exception:
                    logger.exception("Price feed step failed")
                stop.wait(settings.PRICE_BROADCAST_SECONDS)
        finally:
            self.resign()
            close_old_connections()


_embedded: threading.Thread | None = None


def start_embedded() -> None:
    """Run the feed in a daemon thread of this (server) process, once."""
    global _embedded
    if _embedded is not None:
        return
    _embedded = threading.Thread(
        target=PriceFeed().run, args=(threading.Event(),), name="price-feed", daemon=True
    )
    _embedded.start()
