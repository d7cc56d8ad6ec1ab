"""Reading date-times from outside (clients, CoinGecko, signed messages)."""

from __future__ import annotations

from datetime import datetime

from django.utils.dateparse import parse_datetime


def parse_moment(value: str) -> datetime | None:
    """An ISO-8601 date-time, or None when it is malformed or names no real moment.

    Django's ``parse_datetime`` raises ValueError for well-formed impossible values
    (``2026-02-30T00:00:00Z``); input from outside must never turn into a 500.
    """
    try:
        return parse_datetime(value)
    except ValueError:
        return None
