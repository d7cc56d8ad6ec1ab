"""The credit budget: spread over the month, never exceeded, whatever the demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from markets import budget

pytestmark = pytest.mark.django_db


def test_allowance_grows_with_the_month_and_caps_at_the_total():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert budget.allowance(start, 10_000) == 30  # the burst only
    assert budget.allowance(start + timedelta(days=15), 10_000) == 5_030
    assert budget.allowance(datetime(2026, 11, 30, 23, 59, tzinfo=UTC), 10_000) == 10_000


def test_a_month_of_greedy_demand_never_exceeds_the_budget(settings):
    """A caller that asks every 5 minutes all month spends no more than it may."""
    settings.COINGECKO_MONTHLY_CREDITS = 2_000
    now = datetime(2026, 2, 1, tzinfo=UTC)  # 28 days
    end = datetime(2026, 3, 1, tzinfo=UTC)
    while now < end:
        for _ in range(3):  # a burst of users at once
            if budget.credits_available(now):
                budget.credits_spend(now)
        state = budget.budget_state(now)
        assert state.credits_used <= state.credits_allowed_now
        now += timedelta(minutes=5)

    final = budget.budget_state(end - timedelta(seconds=1))
    assert final.credits_used <= 2_000
    assert final.credits_used >= 1_990  # and the budget is actually used


def test_a_new_month_starts_from_zero():
    budget.credits_spend(datetime(2026, 10, 31, 23, 0, tzinfo=UTC))

    assert budget.budget_state(datetime(2026, 11, 1, 0, 5, tzinfo=UTC)).credits_used == 0
    assert budget.budget_state(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)).credits_used == 1


def test_the_allowance_of_a_month_is_its_share_while_it_runs_and_all_of_it_otherwise(settings):
    settings.COINGECKO_MONTHLY_CREDITS = 10_000
    mid_november = datetime(2026, 11, 16, tzinfo=UTC)

    assert budget.credits_monthly() == 10_000
    assert budget.credits_allowed(mid_november.date().replace(day=1), mid_november) == 5_030
    assert budget.credits_allowed(datetime(2026, 10, 1, tzinfo=UTC).date(), mid_november) == 10_000
