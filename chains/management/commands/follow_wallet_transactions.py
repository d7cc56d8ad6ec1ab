"""``python manage.py follow_wallet_transactions``: follow pending transactions to receipts.

For manual use: in production the Celery worker runs the same round every 15 s as a
periodic task (``chains.tasks.wallet_transactions_follow``, in the Procfile's
``worker``), and the wallet page follows its own pending transactions as it polls.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from chains.services import transactions_pending_follow


class Command(BaseCommand):
    help = "Look up the receipts of pending wallet transactions (once, or every --every seconds)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds")

    def handle(self, *args: Any, every: float = 0, **options: Any) -> None:
        while True:
            settled, pending = transactions_pending_follow()
            self.stdout.write(f"{settled} of {pending} pending transaction(s) settled.")
            if not every:
                return
            time.sleep(every)
