"""``python manage.py follow_wallet_transactions``: follow pending transactions to receipts."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from chains.models import TxStatus, WalletTransaction
from chains.services import transaction_follow


class Command(BaseCommand):
    help = "Look up the receipts of pending wallet transactions (once, or every --every seconds)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds")

    def handle(self, *args: Any, every: float = 0, **options: Any) -> None:
        while True:
            pending = list(WalletTransaction.objects.filter(status=TxStatus.PENDING))
            unreachable: set[int] = set()
            done = sum(
                transaction_follow(tx, unreachable=unreachable).status != TxStatus.PENDING
                for tx in pending
            )
            self.stdout.write(f"{done} of {len(pending)} pending transaction(s) settled.")
            if not every:
                return
            time.sleep(every)
