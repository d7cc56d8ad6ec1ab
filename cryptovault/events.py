"""Announcements between apps: Django's own signals, each sent through one typed function.

Apps depend one way (``docs/architecture.md``): ``trading`` reads ``markets`` and
``accounts``, never the reverse. Where an app must react to another's event, the
source announces it here-by-name and the listener connects its receiver in its
``AppConfig.ready()``; the announcement carries data, the listener's own service
holds the rule. Every announcement goes through a ``*_announce`` function with
keyword-only, annotated arguments, so a sender cannot forget a field and a reader
finds every sender with one search.

Why signals and not a hook registry of our own: they are Django's, every Django
engineer reads them, ``send`` runs receivers in the sender's thread and transaction
(so "user verified" funds the account atomically with the verification, and a
failing receiver rolls it back) and returns their answers (so the feed can ask who
still wants prices). Receivers are connected with a ``dispatch_uid``: a module
imported twice never connects twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.dispatch import Signal

# accounts → "this user's email is now verified" (inside the verifying transaction).
user_verified = Signal()
# markets → "these coins have these fresh prices" (the feed leader, every round).
prices_ticked = Signal()
# markets → "does anyone need prices without a listening page?" (receivers answer bool).
prices_wanted = Signal()
# trading → "these orders changed" (after the transaction that changed them commits).
orders_changed = Signal()


def user_verified_announce(*, user: Any) -> None:
    """Tell listeners a user verified their email; runs them in the caller's transaction."""
    user_verified.send(sender=type(user), user=user)


def prices_ticked_announce(*, prices: Mapping[str, Decimal], at: datetime) -> int:
    """Tell listeners the fresh prices of this round; the sum of what they report
    (the trading listener reports how many orders it filled)."""
    answers = prices_ticked.send(sender=None, prices=prices, at=at)
    return sum(int(answer or 0) for _, answer in answers)


def prices_wanted_ask() -> bool:
    """True when a listener needs prices even with no page open (open orders, later
    armed alerts): the feed keeps refreshing for them."""
    return any(bool(answer) for _, answer in prices_wanted.send(sender=None))


def orders_changed_announce(*, orders: Iterable[Any]) -> None:
    """Tell listeners (the order sockets) which orders changed. Call it after commit."""
    changed = list(orders)
    if changed:
        orders_changed.send(sender=None, orders=changed)
