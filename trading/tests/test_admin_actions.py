"""The admin's actions on money: cancel open orders and credit demo dollars.

Both go through the services (the ledger and the audit trail), from the admin's own
changelist form as an operator submits it; ``check_ledger`` proves the balances after.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from accounts.models import AuditEvent, User
from accounts.tests.factories import UserFactory
from trading.models import USD, Balance, LedgerEntry, LedgerKind, Order, OrderStatus
from trading.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ORDERS = "/admin/trading/order/"
BALANCES = "/admin/trading/balance/"


@pytest.fixture
def operator(client, staff_user) -> User:
    client.force_login(staff_user)
    return staff_user


def usd(user: User) -> Balance:
    return Balance.objects.get(user=user, asset=USD)


# --- cancel selected open orders ----------------------------------------------------


def test_cancel_releases_the_holds_through_the_ledger_and_audits_the_operator(
    client, operator, trader, other_trader, prices
):
    # given: two open limit buys (each holds its cost) and a filled market buy
    first = OrderFactory.create(user=trader, type="limit", limit_price=Decimal("40000"))
    second = OrderFactory.create(
        user=other_trader, type="limit", limit_price=Decimal("30000"), quantity=Decimal("0.2")
    )
    filled = OrderFactory.create(user=trader, quantity=Decimal("0.01"))
    assert usd(trader).held == Decimal("4004.00000000")

    # when: the operator cancels all three from the order list
    response = client.post(
        ORDERS,
        {"action": "cancel_open_orders", "_selected_action": [first.pk, second.pk, filled.pk]},
        follow=True,
    )

    # then: the open ones are cancelled, their holds released by ledger entries
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Cancelled 2 order(s), holds released: #{first.pk}, #{second.pk}." in page
    assert "1 selected order(s) were not open" in page
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED and order.cancelled_at is not None
        assert order.held_amount == 0
        release = LedgerEntry.objects.get(order=order, kind=LedgerKind.RELEASE)
        assert release.amount > 0
    filled.refresh_from_db()
    assert filled.status == OrderStatus.FILLED
    assert usd(trader).held == 0 and usd(other_trader).held == 0
    # audited: the owner's cancel and the operator's, naming the operator
    staff_rows = AuditEvent.objects.filter(action="order_cancelled_by_staff").order_by("id")
    assert [(row.user, row.data["order"]) for row in staff_rows] == [
        (trader, first.pk),
        (other_trader, second.pk),
    ]
    assert all(row.data["staff"] == operator.pk for row in staff_rows)
    assert all(row.data["staff_email"] == operator.email for row in staff_rows)
    assert AuditEvent.objects.filter(action="order_cancelled").count() == 2
    call_command("check_ledger")


def test_cancel_is_offered_only_to_operators_allowed_to_change_orders(client, trader, prices):
    order = OrderFactory.create(user=trader, type="limit", limit_price=Decimal("40000"))
    viewer = UserFactory.create(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)

    listing = client.get(ORDERS)
    client.post(ORDERS, {"action": "cancel_open_orders", "_selected_action": [order.pk]})

    assert listing.status_code == 200
    assert "cancel_open_orders" not in listing.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    assert not AuditEvent.objects.filter(action="order_cancelled_by_staff").exists()


def test_a_trader_cannot_reach_the_action(client, trader, prices):
    order = OrderFactory.create(user=trader, type="limit", limit_price=Decimal("40000"))
    client.force_login(trader)

    response = client.post(ORDERS, {"action": "cancel_open_orders", "_selected_action": [order.pk]})

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN


def test_the_order_list_shows_symbols_and_readable_numbers(client, operator, trader, prices):
    OrderFactory.create(user=trader, type="limit", limit_price=Decimal("40000"))

    page = client.get(ORDERS).content.decode()

    assert '<td class="field-coin_symbol">BTC</td>' in page
    assert "Buy limit" in page
    assert "$40,000.00" in page
    assert "40000.000000000000000000" not in page  # the stored 18 places stay in the record


# --- credit demo dollars ------------------------------------------------------------


def test_credit_asks_the_amount_and_reason_on_its_own_page(client, operator, trader):
    balance = usd(trader)

    response = client.post(
        BALANCES, {"action": "credit_demo_dollars", "_selected_action": [balance.pk]}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Credit demo dollars" in page
    assert trader.email in page
    assert 'name="amount"' in page and 'name="reason"' in page
    assert f'name="_selected_action" value="{balance.pk}"' in page
    assert LedgerEntry.objects.filter(user=trader).count() == 1  # the first deposit only


def test_credit_writes_a_deposit_per_user_and_audits_operator_and_reason(
    client, operator, trader, other_trader, prices
):
    # given: both traders selected, trader through two balances (USD and bitcoin): one
    # credit per person, not per row
    OrderFactory.create(user=trader, quantity=Decimal("0.01"))  # 500.50 spent with the fee
    bitcoin = Balance.objects.get(user=trader, asset="bitcoin")
    selected = [usd(trader).pk, bitcoin.pk, usd(other_trader).pk]

    # when
    response = client.post(
        BALANCES,
        {
            "action": "credit_demo_dollars",
            "_selected_action": selected,
            "apply": "Credit",
            "amount": "250.50",
            "reason": "Support ticket 1234: lost a demo trade to a bug",
        },
        follow=True,
    )

    # then: one deposit each, balances follow, the audit names the operator and why
    assert response.status_code == 200
    assert "Credited $250.50 to 2 user(s)." in response.content.decode()
    for user, before in ((trader, Decimal("9499.50")), (other_trader, Decimal("10000"))):
        credit = LedgerEntry.objects.filter(user=user, kind=LedgerKind.DEPOSIT).latest("id")
        assert credit.amount == Decimal("250.50") and credit.asset == USD
        assert usd(user).available == before + Decimal("250.50")
        event = AuditEvent.objects.get(action="account_credit", user=user)
        assert event.data["amount"] == "250.50000000"
        assert event.data["reason"] == "Support ticket 1234: lost a demo trade to a bug"
        assert event.data["staff"] == operator.pk
    call_command("check_ledger")


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("0", "why", "The amount must be more than $0."),
        ("-5", "why", "The amount must be more than $0."),
        ("12.345", "why", "Give the amount in dollars and cents."),
        ("abc", "why", "Enter a number."),
        ("", "why", "This field is required."),
        ("2000000", "why", "can be credited at once"),
        ("10", "", "This field is required."),
        ("10", "   ", "This field is required."),
    ],
)
def test_a_refused_credit_shows_the_error_beside_the_field_and_writes_nothing(
    client, operator, trader, amount, reason, message
):
    entries, events = LedgerEntry.objects.count(), AuditEvent.objects.count()

    response = client.post(
        BALANCES,
        {
            "action": "credit_demo_dollars",
            "_selected_action": [usd(trader).pk],
            "apply": "Credit",
            "amount": amount,
            "reason": reason,
        },
    )

    assert response.status_code == 200  # the form again, never a 500
    page = response.content.decode()
    assert 'role="alert"' in page and message in page
    assert LedgerEntry.objects.count() == entries
    assert AuditEvent.objects.count() == events
    assert usd(trader).available == Decimal("10000")


def test_credit_is_offered_only_to_operators_allowed_to_add_ledger_entries(client, trader):
    viewer = UserFactory.create(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_balance"))
    client.force_login(viewer)

    listing = client.get(BALANCES)
    client.post(
        BALANCES,
        {
            "action": "credit_demo_dollars",
            "_selected_action": [usd(trader).pk],
            "apply": "Credit",
            "amount": "100",
            "reason": "why",
        },
    )

    assert "credit_demo_dollars" not in listing.content.decode()
    assert usd(trader).available == Decimal("10000")


def test_open_orders_keep_their_holds_through_a_credit(client, operator, trader, prices):
    order = OrderFactory.create(user=trader, type="limit", limit_price=Decimal("40000"))

    client.post(
        BALANCES,
        {
            "action": "credit_demo_dollars",
            "_selected_action": [usd(trader).pk],
            "apply": "Credit",
            "amount": "99.99",
            "reason": "goodwill",
        },
    )

    balance = usd(trader)
    assert balance.held == Decimal("4004.00000000")
    assert balance.available == Decimal("10000") - Decimal("4004") + Decimal("99.99")
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    call_command("check_ledger")
    assert Order.objects.count() == 1
