"""The price feed: one leader per deployment refreshes prices and broadcasts them.

Every ``PRICE_BROADCAST_SECONDS`` the leader reads the price board (which refreshes
upstream within the cache period and the credit budget), announces the fresh prices
(``cryptovault.events.prices_ticked``: trading fills the orders they cross) and
sends the board to the ``prices`` group.
Leadership is a cache key with an expiry, renewed by its holder every step: when
the leader dies the key lapses and another loop takes over. Nobody listening and
nobody asking for prices (``cryptovault.events.prices_wanted``: open orders) means no
work at all, so no upstream calls. The feed knows nothing of trading.

While Redis is away the cache answers from process-local memory
(``cryptovault.cache_fallback``), so each feed holds its own lease and keeps going:
prices come from CoinGecko or the stored ticks, and orders are still filled, which
is safe with several leaders because a fill locks its order rows and takes only
open ones. The broadcast has no channel layer to go through meanwhile: that is
logged once, and the feeds go back to one leader when Redis returns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import threading
from datetime import datetime
from typing import TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from cryptovault import events
from cryptovault.cache_fallback import cache_outage
from markets.board import prices_board
from markets.board_row import Board, BoardRowAged, prices_by_coin, row_aged
from markets.services import ticks_prune

logger = logging.getLogger(__name__)

LEADER_KEY = "markets:feed:leader"
LISTENING_KEY = "markets:feed:listening"
PRUNE_KEY = "markets:feed:pruned"
GROUP = "prices"
BROADCAST_TIMEOUT_SECONDS = 3.0  # a Redis that does not answer must not stall the loop


def listeners_present() -> bool:
    return bool(cache.get(LISTENING_KEY))


# A standby asks for the lease this often (or every round, if rounds are shorter): a
# killed leader is replaced within its lease plus this, 25 s with the defaults.
STANDBY_POLL_SECONDS = 5


def lease_seconds() -> int:
    """How long a leader's lease lasts unrenewed: two rounds (it is renewed as a round
    starts and again as it ends, so a slow upstream call does not lose it), at least 15 s."""
    return max(settings.PRICE_BROADCAST_SECONDS * 2, 15)


def standby_poll_seconds() -> float:
    return min(settings.PRICE_BROADCAST_SECONDS, STANDBY_POLL_SECONDS)


def listeners_touch() -> None:
    """Called by websocket consumers (on connect, and for every broadcast they relay):
    someone wants prices for a while. The mark outlives a dead leader's lease: the
    clients renew it only when broadcasts reach them, so one that lapsed during a
    takeover left the new leader publishing to nobody, and every open socket without
    prices until another client connected."""
    cache.set(LISTENING_KEY, 1, lease_seconds() + settings.PRICE_BROADCAST_SECONDS * 3)


class PricesMessage(TypedDict):
    """What ``/ws/prices`` sends: ``{"type": "prices" | "snapshot", "prices", "at"}``."""

    type: str
    prices: list[BoardRowAged]
    at: str


def board_message(board: Board, *, kind: str, now: datetime | None = None) -> PricesMessage:
    """The board as the socket sends it, each row with its age at ``now``."""
    now = timezone.now() if now is None else now
    rows = [row_aged(row, now) for row in board["coins"]]
    return {"type": kind, "prices": rows, "at": now.isoformat()}


class PriceFeed:
    def __init__(self, *, owner: str | None = None) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease_seconds = lease_seconds()
        self.leading = False
        self.leads_alone = False  # leading on a process-local lease (Redis away)
        self.broadcast_failing = False

    def is_leader(self) -> bool:
        """Take or renew the lease; True while this loop holds it."""
        if cache.add(LEADER_KEY, self.owner, self.lease_seconds):
            leader = True
            logger.info("Price feed %s is the leader", self.owner)
        elif cache.get(LEADER_KEY) == self.owner:
            leader = True
            cache.touch(LEADER_KEY, self.lease_seconds)
        else:
            leader = False
        alone = leader and cache_outage(cache) is not None
        if alone and not self.leads_alone:
            logger.warning(
                "Price feed %s leads on a process-local lease while Redis is away", self.owner
            )
        self.leads_alone = alone
        self.leading = leader
        return leader

    def renew(self) -> None:
        """Extend the lease at the end of a round: touched if still this loop's, taken
        again if it lapsed during a slow round and nobody else took it."""
        if cache.get(LEADER_KEY) == self.owner:
            cache.touch(LEADER_KEY, self.lease_seconds)
        else:
            cache.add(LEADER_KEY, self.owner, self.lease_seconds)

    def pause_seconds(self) -> float:
        """The wait before the next round: a round for the leader, less for a standby."""
        return settings.PRICE_BROADCAST_SECONDS if self.leading else standby_poll_seconds()

    def resign(self) -> None:
        if cache.get(LEADER_KEY) == self.owner:
            cache.delete(LEADER_KEY)

    def step(self, *, now: datetime | None = None) -> bool:
        """One round; True when this loop published prices."""
        if not self.is_leader():
            return False
        if not listeners_present() and not events.prices_wanted_ask():
            return False
        board = prices_board(now=now)
        at = timezone.now() if now is None else now
        fresh = [
            row
            for row in board["coins"]
            if row["source"] != "stale" and row["price_usd"] is not None
        ]
        if fresh:
            try:
                filled = events.prices_ticked_announce(prices=prices_by_coin(fresh), at=at)
            except Exception:  # a failing fill must not stop the prices
                logger.exception("A listener of the fresh prices failed")
            else:
                if filled:
                    logger.info("Filled %d order(s) on this tick", filled)
        self.broadcast(board, at)
        if cache.add(PRUNE_KEY, 1, 3600):
            ticks_prune(now=at)
        self.renew()
        return True

    def broadcast(self, board: Board, at: datetime) -> None:
        """Send the board to the ``prices`` group. A channel layer that cannot take it
        (Redis down) costs this round's broadcast, not the fills: logged when it starts
        failing and when it works again, not every round."""
        # The layer's event type names the handler; the relay sends it on as "prices".
        message = {**board_message(board, kind="prices", now=at), "type": "prices.broadcast"}
        layer = get_channel_layer()

        async def send() -> None:
            await asyncio.wait_for(layer.group_send(GROUP, message), BROADCAST_TIMEOUT_SECONDS)

        try:
            async_to_sync(send)()
        except Exception as error:
            if not self.broadcast_failing:
                logger.warning(
                    "Price broadcast failed (%s: %s); retrying every round",
                    error.__class__.__name__,
                    error,
                )
            self.broadcast_failing = True
            return
        if self.broadcast_failing:
            logger.warning("Price broadcast works again")
        self.broadcast_failing = False

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
                stop.wait(self.pause_seconds())
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
