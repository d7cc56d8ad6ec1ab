"""The ledger against a plain model (security.md L3): random deposits, orders, cancels
and price ticks, and after every step each balance equals the model and the sum of its
ledger entries, and none is negative.

The model is a dict of Decimals that applies SPEC §4's rules on its own: a buy costs
``q8(quantity x price)`` plus the fee (``trading.fees.fee_for``), a sell yields the
notional less the fee, limit and stop orders hold what they may spend, a limit fills at
its limit price and a stop at the tick's price, oldest first. The service may refuse an
order for a rule the model does not know (the smallest order, too large): then nothing
may have changed. When it refuses for want of funds, the model must agree.

Prices include a coin under a millionth of a dollar (up to 12 places), so every step
also goes through the exact storage of amounts and prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.tests.factories import UserFactory
from cryptovault.money import q8
from markets.tests.factories import PriceTickFactory
from trading.fees import fee_for
from trading.models import Balance, Order
from trading.selectors import ledger_sums
from trading.services import (
    TradingError,
    account_fund_initial,
    on_tick,
    order_cancel,
    order_place,
)

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D(0)
DEPOSIT = D("10000.12345678")
START = {"bitcoin": D("50000"), "dogecoin": D("0.000000474762")}
PRICES = {
    # $1 to $100,000 with 8 places
    "bitcoin": st.integers(10**8, 10**13).map(lambda n: D(n).scaleb(-8)),
    # $0.0000001 to $0.00001 with 12 places: what str(Decimal) writes as "4.7E-7"
    "dogecoin": st.integers(10**5, 10**7).map(lambda n: D(n).scaleb(-12)),
}
# What an order is worth at the current price: $1.50 to $6,000 (the demo deposit buys
# one or two of those), its quantity the awkward 8-place quotient.
WORTH = st.integers(150, 600_000).map(lambda cents: D(cents).scaleb(-2))
PLACES = {"bitcoin": 8, "dogecoin": 12}
FACTORS = st.sampled_from([D("0.5"), D("0.9"), D("0.999"), D("1"), D("1.001"), D("1.1"), D("2")])


@dataclass
class Open:
    """An open order as the model knows it."""

    coin: str
    side: str
    type: str
    quantity: Decimal
    trigger: Decimal  # the limit or stop price
    held: Decimal

    def crosses(self, price: Decimal) -> bool:
        if self.type == "limit":
            return price <= self.trigger if self.side == "buy" else price >= self.trigger
        return price >= self.trigger if self.side == "buy" else price <= self.trigger


class LedgerMachine(RuleBasedStateMachine):
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        LedgerMachine.examples += 1
        # Not a trader: the machine's first step is the deposit, and it checks the credit.
        self.user = UserFactory.create(
            email=f"model{LedgerMachine.examples}@example.com", name="Model"
        )
        # asset -> [available, held]
        self.balances: dict[str, list[Decimal]] = {}
        self.open: dict[int, Open] = {}
        self.funded = False
        self.clock = timezone.now()
        self.prices: dict[str, Decimal] = {}
        for coin, price in START.items():
            self._tick(coin, price)

    # --- the model -----------------------------------------------------------------

    def _row(self, asset: str) -> list[Decimal]:
        return self.balances.setdefault(asset, [ZERO, ZERO])

    def _tick(self, coin: str, price: Decimal) -> None:
        """A new newest price of ``coin`` (what a market order trades at)."""
        self.clock = max(timezone.now(), self.clock + timedelta(milliseconds=1))
        PriceTickFactory.create(coin_id=coin, price=price, at=self.clock)
        self.prices[coin] = price

    def _can_settle(self, order: Open, price: Decimal) -> bool:
        value = order.quantity * price
        if order.side == "buy":
            return self._row("USD")[0] + order.held >= q8(value) + fee_for(value)
        return self._row(order.coin)[0] + order.held >= order.quantity

    def _settle(self, order: Open, price: Decimal) -> None:
        """Fill ``order`` at ``price``: its hold released, the trade and the fee posted."""
        usd, coin = self._row("USD"), self._row(order.coin)
        value = order.quantity * price
        notional, fee = q8(value), fee_for(value)
        if order.side == "buy":
            usd[1] -= order.held
            usd[0] += order.held - notional - fee
            coin[0] += order.quantity
        else:
            coin[1] -= order.held
            coin[0] += order.held - order.quantity
            usd[0] += notional - fee

    def _release(self, order: Open) -> None:
        row = self._row("USD" if order.side == "buy" else order.coin)
        row[0] += order.held
        row[1] -= order.held

    # --- the steps -----------------------------------------------------------------

    @initialize()
    def first_deposit(self) -> None:
        self.deposit()

    @rule()
    def deposit(self) -> None:
        credited = account_fund_initial(user=self.user)

        assert credited == (ZERO if self.funded else DEPOSIT)
        self._row("USD")[0] += credited
        self.funded = True

    @rule(
        data=st.data(),
        coin=st.sampled_from(sorted(START)),
        side=st.sampled_from(["buy", "sell"]),
        type_=st.sampled_from(["market", "limit", "stop"]),
        factor=FACTORS,
    )
    def place(self, data: st.DataObject, coin: str, side: str, type_: str, factor: Decimal) -> None:
        quantity = q8(data.draw(WORTH, label="worth") / self.prices[coin], ROUND_DOWN)
        trigger = q8(self.prices[coin] * factor, ROUND_DOWN)
        if type_ != "market" and trigger <= 0:
            return
        market = type_ == "market"
        reference = self.prices[coin] if market else trigger
        value = quantity * reference
        held = ZERO
        if not market:
            held = q8(value) + fee_for(value) if side == "buy" else quantity
        order = Open(coin, side, type_, quantity, trigger, held)
        # What the model says the account can pay for (a hold, or a fill at once).
        affordable = (
            self._can_settle(Open(coin, side, type_, quantity, trigger, ZERO), reference)
            if market
            else self._row("USD" if side == "buy" else coin)[0] >= held
        )

        try:
            placed = order_place(
                user=self.user,
                coin_id=coin,
                side=side,
                type=type_,
                quantity=quantity,
                limit_price=trigger if type_ == "limit" else None,
                stop_price=trigger if type_ == "stop" else None,
            ).order
        except TradingError as error:
            event(f"{type_} {side} refused: {error.code}")
            if error.code == "insufficient_funds":
                assert not affordable, "the model can pay for an order the service refused"
            return

        event(f"{type_} {side} placed")
        assert affordable, "the service accepted an order the model cannot pay for"
        if market:
            assert placed.status == "filled"
            assert placed.average_price == reference
            assert placed.fee == fee_for(value)
            self._settle(order, reference)
        else:
            assert placed.status == "open"
            assert placed.held_amount == held
            row = self._row("USD" if side == "buy" else coin)
            row[0] -= held
            row[1] += held
            self.open[placed.pk] = order

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(sorted(self.open)), label="order")

        cancelled = order_cancel(user=self.user, order_id=order_id)

        assert cancelled.status == "cancelled"
        self._release(self.open.pop(order_id))

    @precondition(lambda self: bool(self.open))  # a tick with nothing to fill is no test
    @rule(data=st.data(), coin=st.sampled_from(sorted(START)))
    def tick(self, data: st.DataObject, coin: str) -> None:
        near = data.draw(FACTORS, label="move") * self.prices[coin]
        moved = near.quantize(D(1).scaleb(-PLACES[coin]), ROUND_DOWN)
        price = data.draw(st.sampled_from([moved]) | PRICES[coin], label="price")
        self._tick(coin, price)
        crossed = sorted(
            pk for pk, order in self.open.items() if order.coin == coin and order.crosses(price)
        )
        expected: dict[int, str] = {}
        refused: list[Open] = []
        for pk in crossed:  # oldest first, as the service fills them
            order = self.open.pop(pk)
            fill_price = order.trigger if order.type == "limit" else price
            if self._can_settle(order, fill_price):
                self._settle(order, fill_price)
                expected[pk] = "filled"
            else:  # a stop the account can no longer pay for: released after the batch
                refused.append(order)
                expected[pk] = "rejected"
        for order in refused:
            self._release(order)
        for status in expected.values():
            event(f"tick: {status}")

        filled = on_tick(prices={coin: price}, at=self.clock)

        assert filled == sum(1 for status in expected.values() if status == "filled")
        assert dict(Order.objects.filter(pk__in=crossed).values_list("pk", "status")) == expected

    # --- after every step ----------------------------------------------------------

    @invariant()
    def balances_equal_the_model_and_the_ledger(self) -> None:
        stored = {
            row.asset: (row.available, row.held) for row in Balance.objects.filter(user=self.user)
        }
        ledger = {
            asset: sums
            for (user_id, asset), sums in ledger_sums().items()
            if user_id == self.user.pk
        }
        model = {asset: (row[0], row[1]) for asset, row in self.balances.items()}
        for asset in stored.keys() | ledger.keys() | model.keys():
            expected = model.get(asset, (ZERO, ZERO))
            assert stored.get(asset, (ZERO, ZERO)) == expected, asset
            assert ledger.get(asset, (ZERO, ZERO)) == expected, asset
            assert expected[0] >= 0 and expected[1] >= 0, asset

    @invariant()
    def open_orders_are_the_models(self) -> None:
        stored = Order.objects.filter(user=self.user, status="open").values_list("pk", flat=True)
        assert set(stored) == set(self.open)

    def teardown(self) -> None:
        # The next example's ticks must not fill this one's orders.
        for order_id in list(self.open):
            order_cancel(user=self.user, order_id=order_id)


def test_balances_follow_the_model_through_random_trading(settings_trading):
    settings_trading.DEMO_STARTING_BALANCE_USD = DEPOSIT
    settings_trading.PRICE_REFRESH_SECONDS = 3600  # a market order trades at our ticks
    settings_trading.RATELIMIT_ENABLE = False  # order_place allows 20 a minute per user

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
