"""Funded traders and their orders (see accounts/tests/factories.py for the layout).

Both go through the trading services, never straight to the tables, so the ledger
entries, balances and holds behind them are the ones production writes.
"""

from __future__ import annotations

import builtins
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from trading.models import Order, OrderType, Side
from trading.services import account_fund_initial, order_place


class TraderFactory(UserFactory):
    """A verified user holding the demo dollars (settings.DEMO_STARTING_BALANCE_USD)."""

    email = factory.Sequence(lambda n: f"trader{n}@example.com")
    name = "Trader"

    @factory.post_generation
    def funded(user: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        # Explicitly, whether or not verifying the address funds the account already:
        # account_fund_initial credits a user once and then answers 0. funded=False
        # leaves the account empty.
        if create and extracted is not False:
            account_fund_initial(user=user)


class OrderFactory(DjangoModelFactory[Order]):
    """An order placed with ``order_place`` (a market buy of 0.1 bitcoin for a new trader
    unless told); it needs a price, as any order does (PriceTickFactory)."""

    class Meta:
        model = Order

    user = factory.SubFactory(TraderFactory)
    coin_id = "bitcoin"
    side = Side.BUY
    type = OrderType.MARKET
    quantity = Decimal("0.1")

    # builtins.type below: inside this class, ``type`` is the order's field.
    @classmethod
    def _create(cls, model_class: builtins.type[Order], *args: Any, **kwargs: Any) -> Order:
        return order_place(**kwargs).order
