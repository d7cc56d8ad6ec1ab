"""``python manage.py check_ledger``: every balance equals the sum of its ledger entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q, Sum

from trading.models import Balance, LedgerEntry, LedgerKind


class Command(BaseCommand):
    help = "Prove that every balance (available and held) equals the sum of its ledger entries."

    def handle(self, *args: Any, **options: Any) -> None:
        sums = {
            (row["user_id"], row["asset"]): row
            for row in LedgerEntry.objects.values("user_id", "asset").annotate(
                available=Sum("amount"),
                holds=Sum("amount", filter=Q(kind__in=[LedgerKind.HOLD, LedgerKind.RELEASE])),
            )
        }
        problems = []
        checked = 0
        for balance in Balance.objects.all().iterator():
            checked += 1
            row = sums.pop((balance.user_id, balance.asset), None)
            available = row["available"] if row else Decimal(0)
            held = -(row["holds"] or Decimal(0)) if row else Decimal(0)
            if balance.available != available or balance.held != held:
                problems.append(
                    f"user {balance.user_id} {balance.asset}: balance {balance.available} "
                    f"available / {balance.held} held, ledger {available} / {held}"
                )
        for (user_id, asset), _row in sums.items():
            problems.append(f"user {user_id} {asset}: ledger entries but no balance row")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} balance(s) disagree with the ledger")
        self.stdout.write(f"Ledger OK: {checked} balance(s) equal the sum of their entries.")
