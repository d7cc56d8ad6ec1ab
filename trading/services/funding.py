"""Demo dollars: the first funding, an operator's credit, and a paper account's reset.

Each function is one transaction, and every change is a ledger ``deposit`` entry
(SPEC §4's kinds: a negative deposit takes an asset away): nothing is ever deleted,
so ``check_ledger`` stays exact through a reset. Money events are audited in the
same transaction as the entries they explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from cryptovault.limits import limit_check
from cryptovault.money import CENT, q8
from trading.errors import TradingError, invalid
from trading.models import USD, Balance, LedgerEntry, LedgerKind, Order, OrderStatus
from trading.services.ledger import balances_locked, order_hold_release, post
from trading.services.orders import orders_changed_after_commit

# The most an operator may credit at once: a demo account, not a bank. Larger sums
# are a typo more often than a wish, and can be given in several credits.
CREDIT_MAX = Decimal("1000000")
REASON_MAX_LENGTH = 200
# Resets per user and hour, counted here so that every door shares one allowance: a
# reset is cheap to ask for and writes a dozen ledger rows and audit events.
RESETS_RATE = "10/h"


@dataclass(frozen=True)
class Reset:
    """What a reset did: the orders it cancelled and the balances it left."""

    cancelled: list[Order]
    balances: list[Balance]


@transaction.atomic
def account_fund_initial(*, user: User) -> Decimal:
    """Credit a newly verified user's demo dollars, once. Returns the amount credited."""
    balances = balances_locked(user, [USD])
    if LedgerEntry.objects.filter(user=user, asset=USD, kind=LedgerKind.DEPOSIT).exists():
        return Decimal(0)
    amount = q8(settings.DEMO_STARTING_BALANCE_USD)
    if amount:
        post(balances[USD], LedgerKind.DEPOSIT, amount, None)
    return amount


def credit_amount_check(amount: object) -> Decimal:
    """``amount`` as dollars to credit: a Decimal (or its text) above 0, to the cent, at
    most ``CREDIT_MAX``; anything else is a 400 naming ``amount``."""
    if isinstance(amount, float | bool):  # floats are not money (STYLE: Decimal, from strings)
        raise invalid("invalid_amount", "Give the amount as a decimal number.", "amount")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise invalid("invalid_amount", "The amount must be a number.", "amount") from None
    if not value.is_finite() or value <= 0:
        raise invalid("invalid_amount", "The amount must be more than $0.", "amount")
    if value > CREDIT_MAX:
        raise invalid(
            "invalid_amount", f"At most ${CREDIT_MAX:,} can be credited at once.", "amount"
        )
    if value != value.quantize(CENT):
        raise invalid("invalid_amount", "Give the amount in dollars and cents.", "amount")
    return q8(value)


def account_credit(*, user: User, amount: Decimal, reason: str, staff: User) -> LedgerEntry:
    """Credit ``amount`` demo dollars to ``user`` as a ledger deposit, audited with the
    operator who gave it and why. Only staff may credit; nothing is written on a refusal."""
    value = credit_amount_check(amount)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason_required", "Say why the dollars are credited.", "reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise invalid(
            "reason_too_long", f"Keep the reason under {REASON_MAX_LENGTH} characters.", "reason"
        )
    if not (staff.is_active and staff.is_staff):
        raise TradingError("forbidden", "Only operators can credit demo dollars.", status_code=403)
    with transaction.atomic():
        balance = balances_locked(user, [USD])[USD]
        post(balance, LedgerKind.DEPOSIT, value, None)
        entry = LedgerEntry.objects.filter(user=user, asset=USD).order_by("-id").first()
        assert entry is not None
        audit_record(
            action="account_credit",
            user=user,
            amount=str(value),
            reason=reason,
            staff=staff.pk,
            staff_email=staff.email,
            entry=entry.pk,
        )
    return entry


def account_reset(*, user: User) -> Reset:
    """Put the user's paper account back to its start, in one transaction: every open
    order cancelled (its hold released), every coin balance taken to 0 and USD set to
    ``DEMO_STARTING_BALANCE_USD``, each change a ledger deposit; audited, and the
    cancelled orders announced to the owner's sockets after commit.

    Locks in the fixed order (orders by pk, then the balances). An order placed while
    the orders were being locked would escape the reset: that is a 409 ``reset_conflict``
    and nothing is written (asking again resets everything).
    """
    limit_check(
        group="account:reset",
        key=f"user:{user.pk}",
        rate=RESETS_RATE,
        message="Too many resets in an hour. Wait a while and try again.",
    )
    starting = q8(settings.DEMO_STARTING_BALANCE_USD)
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update()
            .filter(user=user, status=OrderStatus.OPEN)
            .order_by("pk")
        )
        assets = [USD, *Balance.objects.filter(user=user).values_list("asset", flat=True)]
        balances = balances_locked(user, assets)
        locked = {order.pk for order in orders}
        if Order.objects.filter(user=user, status=OrderStatus.OPEN).exclude(pk__in=locked).exists():
            raise TradingError(
                "reset_conflict",
                "An order was placed during the reset. Nothing was changed; try again.",
                status_code=409,
            )
        now = timezone.now()
        for order in orders:
            order_hold_release(order, balances)
            order.status = OrderStatus.CANCELLED
            order.cancelled_at = now
            order.save(update_fields=["status", "held_amount", "cancelled_at"])
            audit_record(action="order_cancelled", user=user, order=order.pk, by="account_reset")
        removed = {}
        for asset, balance in balances.items():
            if asset != USD and balance.available:
                removed[asset] = str(balance.available)
                post(balance, LedgerKind.DEPOSIT, -balance.available, None)
        usd = balances[USD]
        usd_before = usd.available
        if usd.available != starting:
            post(usd, LedgerKind.DEPOSIT, starting - usd.available, None)
        audit_record(
            action="account_reset",
            user=user,
            cancelled_orders=[order.pk for order in orders],
            coins_removed=removed,
            usd_before=str(usd_before),
            usd_after=str(usd.available),
        )
        orders_changed_after_commit(orders)
    return Reset(cancelled=orders, balances=sorted(balances.values(), key=lambda b: b.asset))
