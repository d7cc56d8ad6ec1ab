"""``python manage.py check_ledger``: every balance equals the sum of its ledger entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cryptovault.money import decimal_text
from trading.models import Balance
from trading.selectors import ledger_sums

ZERO = (Decimal(0), Decimal(0))


class Command(BaseCommand):
    help = "Prove that every balance (available and held) equals the sum of its ledger entries."

    def handle(self, *args: Any, **options: Any) -> None:
        # Exact sums (Decimal, never SQLite's floating-point SUM): a correct ledger of
        # 990.99895618 is 990.99895618, not 990.998956180001.
        sums = ledger_sums()
        problems = []
        checked = 0
        for balance in Balance.objects.order_by("user_id", "asset").iterator():
            checked += 1
            available, held = sums.pop((balance.user_id, balance.asset), ZERO)
            if balance.available != available or balance.held != held:
                problems.append(
                    f"user {balance.user_id} {balance.asset}: balance "
                    f"{decimal_text(balance.available)} available / {decimal_text(balance.held)} "
                    f"held, ledger {decimal_text(available)} / {decimal_text(held)}"
                )
        for user_id, asset in sums:
            problems.append(f"user {user_id} {asset}: ledger entries but no balance row")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} balance(s) disagree with the ledger")
        self.stdout.write(f"Ledger OK: {checked} balance(s) equal the sum of their entries.")
