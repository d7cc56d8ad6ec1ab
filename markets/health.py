"""The ``price_source`` check of ``/health``: where prices come from, their age, the budget."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from cryptovault.health import CheckResult
from markets import budget
from markets.board import BOARD_KEY, BOARD_LAST_GOOD_KEY
from markets.board_row import Board, price_age_seconds
from markets.feed import LEADER_KEY


def check_price_source() -> CheckResult:
    board: Board | None = cache.get(BOARD_KEY) or cache.get(BOARD_LAST_GOOD_KEY)
    state = budget.budget_state()
    result: CheckResult = {
        "status": "ok",
        "mode": settings.PRICE_SOURCE,
        "source": board["source"] if board else None,
        "feed_leader": cache.get(LEADER_KEY),
        "quota": state.as_dict(),
    }
    if board and board["coins"]:
        result["age_seconds"] = price_age_seconds(board["coins"][0])
    if not state.available and settings.PRICE_SOURCE != "simulated":
        result["status"] = "degraded"
        result["error"] = "CoinGecko credit budget spent for now; serving the last prices"
    return result
