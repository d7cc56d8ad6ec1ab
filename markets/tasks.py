"""The markets app's periodic job: price ticks older than the retention pruned.

Celery beat sends it every hour (``CELERY_BEAT_SCHEDULE``, cryptovault/settings_tasks.py)
to the worker ``make prod`` runs. It claims the price feed's hourly prune too
(``markets.feed.PRUNE_KEY``): while the worker prunes, the feed leader does not, and
where no worker runs (the embedded default) the feed goes on pruning as before.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from cryptovault.tasks import job
from markets.feed import PRUNE_KEY
from markets.services import ticks_prune

logger = logging.getLogger(__name__)

PRUNE_CLAIM_SECONDS = 2 * 3600  # past the next run, so the feed never prunes between


@job()
def ticks_prune_old() -> int:
    """Delete the ticks past the retention; how many went."""
    cache.set(PRUNE_KEY, 1, PRUNE_CLAIM_SECONDS)
    deleted = ticks_prune()
    logger.info("Pruned %d old price tick(s)", deleted)
    return deleted
