"""The chains app's periodic job: pending wallet transactions followed to their receipts.

Celery beat sends it every 15 s (``CELERY_BEAT_SCHEDULE``, cryptovault/settings_tasks.py)
to the worker ``make prod`` runs. Without a worker (the embedded default) the wallet
page follows its own pending transactions as it polls the history
(``chains.services.transaction_history_follow``), and
``manage.py follow_wallet_transactions`` does one round by hand.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from chains.services import transactions_pending_follow
from cryptovault.tasks import job

logger = logging.getLogger(__name__)

RUNNING_KEY = "chains:follow:running"
# A round asks each chain's node once per transaction: a slow node (8 s timeout) must
# not make the next round start beside this one. The key lapses if a worker dies.
RUNNING_LEASE_SECONDS = 120


@job()
def wallet_transactions_follow() -> tuple[int, int]:
    """One round over every pending transaction: (settled now, pending before);
    (0, 0) when another round is still running."""
    if not cache.add(RUNNING_KEY, 1, RUNNING_LEASE_SECONDS):
        logger.info("Skipped following wallet transactions: the last round still runs")
        return 0, 0
    try:
        settled, pending = transactions_pending_follow()
    finally:
        cache.delete(RUNNING_KEY)
    if pending:
        logger.info("%d of %d pending wallet transaction(s) settled", settled, pending)
    return settled, pending
