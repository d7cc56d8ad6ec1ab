"""The one error type of trading's rules: a code, a message, the field it concerns."""

from __future__ import annotations

from cryptovault.errors import DomainError


class TradingError(DomainError):
    """An order or ledger rule refused the request (400 unless a status is given)."""


def invalid(code: str, message: str, field: str | None = None) -> TradingError:
    return TradingError(code, message, field=field)
