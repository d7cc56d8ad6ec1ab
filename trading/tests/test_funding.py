"""Demo dollars (trading.services.funding): a paper account's reset and an operator's
credit, with exact Decimal results, the ledger proving every balance, and the audit."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent
from accounts.tests.factories import StaffUserFactory, api_for
from cryptovault import events
from cryptovault.limits import RateLimited
from markets.tests.factories import PriceTickFactory
from trading import selectors
from trading.models import Balance, LedgerEntry, Order
from trading.services import (
    TradingError,
    account_credit,
    account_fund_initial,
    account_reset,
    funding,
    order_place,
)
from trading.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = Decimal


def balance(user, asset: str) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(user=user, asset=asset)
    return row.available, row.held


def ledger_total(user, asset: str) -> Decimal:
    return sum(
        LedgerEntry.objects.filter(user=user, asset=asset).values_list("amount", flat=True),
        D(0),
    )


def ledger_is_exact() -> str:
    """check_ledger's report; it raises CommandError when a balance disagrees."""
    out = StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


@pytest.fixture
def traded(trader, prices):
    """The trader after a filled buy, an open limit buy and an open limit sell:
    USD 10000 - 5005 (0.1 BTC at 50,000 + fee) - 1001 held (0.5 ETH at 2,000 + fee);
    bitcoin 0.1 of which 0.04 held by a sell at 60,000."""
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    buy = order_place(
        user=trader,
        coin_id="ethereum",
        side="buy",
        type="limit",
        quantity=D("0.5"),
        limit_price=D("2000"),
    ).order
    sell = order_place(
        user=trader,
        coin_id="bitcoin",
        side="sell",
        type="limit",
        quantity=D("0.04"),
        limit_price=D("60000"),
    ).order
    assert balance(trader, "USD") == (D("3994"), D("1001"))
    assert balance(trader, "bitcoin") == (D("0.06"), D("0.04"))
    return trader, buy, sell


# --- account_reset -----------------------------------------------------------------


def test_reset_cancels_open_orders_removes_coins_and_restores_the_starting_usd(traded):
    trader, buy, sell = traded
    entries_before = LedgerEntry.objects.filter(user=trader).count()

    reset = account_reset(user=trader)

    assert balance(trader, "USD") == (D("10000"), D("0"))
    assert balance(trader, "bitcoin") == (D("0"), D("0"))
    assert balance(trader, "ethereum") == (D("0"), D("0"))
    buy.refresh_from_db()
    sell.refresh_from_db()
    assert (buy.status, buy.held_amount, buy.cancelled_at is not None) == ("cancelled", 0, True)
    assert (sell.status, sell.held_amount, sell.cancelled_at is not None) == ("cancelled", 0, True)
    assert [order.pk for order in reset.cancelled] == [buy.pk, sell.pk]
    assert {(b.asset, b.available, b.held) for b in reset.balances} == {
        ("USD", D("10000"), D("0")),
        ("bitcoin", D("0"), D("0")),
        ("ethereum", D("0"), D("0")),
    }
    # Nothing deleted: two releases, then one deposit per asset that changed.
    new = list(
        LedgerEntry.objects.filter(user=trader)
        .order_by("id")
        .values_list("kind", "asset", "amount", "balance_after", "order_id")[entries_before:]
    )
    assert new == [
        ("release", "USD", D("1001"), D("4995"), buy.pk),
        ("release", "bitcoin", D("0.04"), D("0.1"), sell.pk),
        ("deposit", "bitcoin", D("-0.1"), D("0"), None),
        ("deposit", "USD", D("5005"), D("10000"), None),
    ]
    assert ledger_total(trader, "USD") == D("10000")
    assert ledger_total(trader, "bitcoin") == D("0")
    assert "Ledger OK" in ledger_is_exact()


def test_reset_is_audited_with_what_it_did(traded):
    trader, buy, sell = traded

    account_reset(user=trader)

    event = AuditEvent.objects.get(action="account_reset")
    assert event.user == trader
    assert event.data == {
        "cancelled_orders": [buy.pk, sell.pk],
        "coins_removed": {"bitcoin": "0.10000000"},
        "usd_before": "4995.00000000",
        "usd_after": "10000.00000000",
    }
    cancels = AuditEvent.objects.filter(action="order_cancelled").order_by("id")
    assert [e.data for e in cancels] == [
        {"order": buy.pk, "by": "account_reset"},
        {"order": sell.pk, "by": "account_reset"},
    ]


def test_reset_with_more_usd_than_the_start_takes_the_gain_back(trader, prices):
    OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))
    PriceTickFactory.create(coin_id="bitcoin", price=D("70000"))
    order_place(user=trader, coin_id="bitcoin", side="sell", type="market", quantity=D("0.1"))
    # 10000 - 5005 + 7000 - 7
    assert balance(trader, "USD") == (D("11988"), D("0"))

    account_reset(user=trader)

    last = LedgerEntry.objects.filter(user=trader).order_by("-id")[0]
    assert (last.kind, last.asset, last.amount, last.balance_after) == (
        "deposit",
        "USD",
        D("-1988"),
        D("10000"),
    )
    assert balance(trader, "USD") == (D("10000"), D("0"))
    assert "Ledger OK" in ledger_is_exact()


def test_reset_of_a_fresh_account_writes_no_entry(trader):
    before = LedgerEntry.objects.count()

    reset = account_reset(user=trader)

    assert LedgerEntry.objects.count() == before
    assert reset.cancelled == []
    assert balance(trader, "USD") == (D("10000"), D("0"))
    assert AuditEvent.objects.filter(action="account_reset", user=trader).count() == 1


def test_after_a_reset_the_first_funding_is_not_paid_again_and_trading_goes_on(traded):
    trader, _, _ = traded
    account_reset(user=trader)

    assert account_fund_initial(user=trader) == 0
    order = OrderFactory.create(user=trader, coin_id="bitcoin", quantity=D("0.1"))

    assert order.status == "filled"
    assert balance(trader, "USD") == (D("4995"), D("0"))
    assert balance(trader, "bitcoin") == (D("0.1"), D("0"))
    assert "Ledger OK" in ledger_is_exact()


def test_reset_touches_only_the_users_own_account(traded, other_trader):
    trader, _, _ = traded
    OrderFactory.create(user=other_trader, coin_id="ethereum", quantity=D("1"))

    account_reset(user=trader)

    assert balance(other_trader, "USD") == (D("7998"), D("0"))  # 10000 - 2000 - 2
    assert balance(other_trader, "ethereum") == (D("1"), D("0"))


def test_reset_announces_the_cancelled_orders_after_commit(
    traded, django_capture_on_commit_callbacks
):
    trader, buy, sell = traded
    heard: list[list[int]] = []

    def listener(sender, *, orders, **kwargs):
        heard.append([order.pk for order in orders])

    events.orders_changed.connect(listener, dispatch_uid="test-reset-listener")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            account_reset(user=trader)
        assert heard == [], "announced before the commit"
        for callback in callbacks:
            callback()
    finally:
        events.orders_changed.disconnect(dispatch_uid="test-reset-listener")

    assert heard == [[buy.pk, sell.pk]]


def test_an_order_placed_during_the_reset_refuses_it_and_nothing_is_written(traded, monkeypatch):
    trader, buy, _ = traded
    real = funding.balances_locked
    sneaked: list[Order] = []

    def balances_locked_after_a_placement(user, assets):
        # Another request places an order between the order locks and the balance locks.
        sneaked.append(
            order_place(
                user=trader,
                coin_id="ethereum",
                side="buy",
                type="limit",
                quantity=D("0.01"),
                limit_price=D("1000"),
            ).order
        )
        return real(user, assets)

    monkeypatch.setattr(funding, "balances_locked", balances_locked_after_a_placement)
    entries_before = LedgerEntry.objects.count()

    with pytest.raises(TradingError) as refused:
        account_reset(user=trader)

    assert (refused.value.code, refused.value.status_code) == ("reset_conflict", 409)
    buy.refresh_from_db()
    assert buy.status == "open"
    assert LedgerEntry.objects.count() == entries_before  # the sneaked order rolled back too
    assert not AuditEvent.objects.filter(action="account_reset").exists()


def test_resets_are_rate_limited_per_user(trader):
    for _ in range(10):
        account_reset(user=trader)

    with pytest.raises(RateLimited):
        account_reset(user=trader)


# --- the reset API -----------------------------------------------------------------


def test_reset_api_needs_the_word_reset(traded):
    trader, _, _ = traded
    api = api_for(trader)

    for body in ({}, {"confirm": ""}, {"confirm": "yes"}, {"confirm": ["RESET"]}):
        response = api.post("/api/account/reset", body, format="json")
        assert response.status_code == 400, body
        assert "confirm" in response.json()["errors"], body
    assert balance(trader, "USD") == (D("3994"), D("1001"))


def test_reset_api_answers_the_balances_and_the_cancelled_orders(traded):
    trader, buy, sell = traded

    response = api_for(trader).post("/api/account/reset", {"confirm": "RESET"}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "balances": [
            {"asset": "USD", "available": "10000.00000000", "held": "0.00000000"},
            {"asset": "bitcoin", "available": "0.00000000", "held": "0.00000000"},
            {"asset": "ethereum", "available": "0.00000000", "held": "0.00000000"},
        ],
        "cancelled_orders": [buy.pk, sell.pk],
    }
    assert selectors.orders_for(user=trader, status="open").count() == 0


def test_reset_api_needs_a_login(client, db):
    response = client.post(
        "/api/account/reset", {"confirm": "RESET"}, content_type="application/json"
    )

    assert response.status_code in (401, 403)


# --- account_credit ----------------------------------------------------------------


@pytest.fixture
def operator(db):
    return StaffUserFactory.create(email="ops@example.com")


def test_credit_is_a_deposit_audited_with_the_operator(trader, operator):
    entry = account_credit(
        user=trader, amount=D("250.75"), reason=" Contest prize ", staff=operator
    )

    assert (entry.kind, entry.asset, entry.amount, entry.balance_after, entry.order) == (
        "deposit",
        "USD",
        D("250.75"),
        D("10250.75"),
        None,
    )
    assert balance(trader, "USD") == (D("10250.75"), D("0"))
    event = AuditEvent.objects.get(action="account_credit")
    assert event.user == trader
    assert event.data == {
        "amount": "250.75000000",
        "reason": "Contest prize",
        "staff": operator.pk,
        "staff_email": "ops@example.com",
        "entry": entry.pk,
    }
    assert "Ledger OK" in ledger_is_exact()


def test_credit_takes_the_amount_as_text_too(trader, operator):
    account_credit(user=trader, amount="0.01", reason="A cent", staff=operator)  # type: ignore[arg-type]

    assert balance(trader, "USD") == (D("10000.01"), D("0"))


def test_credit_up_to_the_bound_is_allowed(trader, operator):
    account_credit(user=trader, amount=funding.CREDIT_MAX, reason="Whale test", staff=operator)

    assert balance(trader, "USD") == (D("1010000"), D("0"))


@pytest.mark.parametrize(
    "amount",
    [
        D("0"),
        D("-5"),
        D("0.001"),
        D("1000000.01"),
        D("NaN"),
        D("Infinity"),
        "abc",
        "",
        1.5,
        True,
        None,
    ],
)
def test_credit_refuses_a_bad_amount_naming_the_field(trader, operator, amount):
    before = LedgerEntry.objects.count()

    with pytest.raises(TradingError) as refused:
        account_credit(user=trader, amount=amount, reason="Test", staff=operator)

    assert (refused.value.status_code, refused.value.field) == (400, "amount")
    assert LedgerEntry.objects.count() == before
    assert not AuditEvent.objects.filter(action="account_credit").exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_credit_needs_a_short_reason(trader, operator, reason):
    with pytest.raises(TradingError) as refused:
        account_credit(user=trader, amount=D("10"), reason=reason, staff=operator)

    assert refused.value.field == "reason"
    assert balance(trader, "USD") == (D("10000"), D("0"))


def test_only_staff_can_credit(trader, other_trader):
    with pytest.raises(TradingError) as refused:
        account_credit(user=trader, amount=D("10"), reason="Self-help", staff=other_trader)

    assert (refused.value.code, refused.value.status_code) == ("forbidden", 403)
    assert balance(trader, "USD") == (D("10000"), D("0"))
