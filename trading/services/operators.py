"""What an operator does to a trader's account from the admin, through the same rules.

An operator's cancel is the owner's cancel (``orders.order_cancel``: the hold released
by ledger entries) with an audit event naming the operator, in one transaction. An
operator's credit to several people is ``funding.account_credit`` for each, in one
transaction, so a batch is given to everyone or to no one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import User
from trading.errors import TradingError
from trading.models import LedgerEntry, Order
from trading.services.funding import account_credit
from trading.services.orders import order_cancel


def staff_check(staff: User) -> None:
    """Only an active operator acts on other people's accounts."""
    if not (staff.is_active and staff.is_staff):
        raise TradingError("forbidden", "Only operators can do this.", status_code=403)


def order_cancel_by_staff(*, order_id: int, staff: User) -> Order:
    """Cancel anyone's open order as an operator; 404 for no such order, 409 when it is
    not open. Audited twice: the owner's ``order_cancelled`` and the operator's
    ``order_cancelled_by_staff``."""
    staff_check(staff)
    owner_id = Order.objects.filter(pk=order_id).values_list("user_id", flat=True).first()
    if owner_id is None:
        raise TradingError("not_found", "No such order.", status_code=404)
    with transaction.atomic():
        owner = User.objects.get(pk=owner_id)
        order = order_cancel(user=owner, order_id=order_id)
        audit_record(
            action="order_cancelled_by_staff",
            user=owner,
            order=order.pk,
            staff=staff.pk,
            staff_email=staff.email,
        )
    return order


def accounts_credit(
    *, users: Iterable[User], amount: Decimal, reason: str, staff: User
) -> list[LedgerEntry]:
    """Credit ``amount`` demo dollars to each of ``users`` (a ledger deposit each, audited
    with the operator and the reason), all in one transaction; a refusal writes nothing."""
    staff_check(staff)
    with transaction.atomic():
        return [
            account_credit(user=user, amount=amount, reason=reason, staff=staff) for user in users
        ]
