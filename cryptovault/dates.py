"""Reading date-times from outside (clients, CoinGecko, signed messages).

Whatever comes in must name a moment that Python and the database can hold: a
datetime near the ends of Python's range (years 1 and 9999) with an offset may be
parsed, then fail when converted to UTC (``OverflowError``), which Django does
while building the SQL, or even after a streaming response has started. So every
aware value is converted to UTC here, where a failure is still "malformed".
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.utils.dateparse import parse_date, parse_datetime


def parse_moment(value: str) -> datetime | None:
    """An ISO-8601 date-time (in UTC when it has an offset; naive when it has none), or
    None when it is malformed or names no moment Python can hold.

    Django's ``parse_datetime`` raises ValueError for well-formed impossible values
    (``2026-02-30T00:00:00Z``); ``0001-01-01T00:00:00+14:00`` parses but lies before
    the first UTC moment Python knows. Input from outside must never turn into a 500.
    """
    try:
        parsed = parse_datetime(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_day_or_moment(value: str) -> datetime | None:
    """A date (midnight UTC) or a date-time (UTC when it has no offset), as an aware UTC
    datetime; None when it is malformed or out of range."""
    try:
        # A bare date first: parse_datetime would read it as a naive midnight.
        day = parse_date(value)
    except ValueError:  # well formed, but no such day (2026-02-30)
        return None
    if day is not None:
        return datetime.combine(day, time.min, tzinfo=UTC)
    moment = parse_moment(value)
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
