"""Rate limits of the account endpoints (SPEC §2), shared by the pages and the API.

Counted per client IP (see ``cryptovault.client_ip``) on the shared cache, so they
hold across processes when the cache is Redis. A page and its API endpoint share
one group: switching between them does not double the allowance. The admin login
counts in the ``login`` group too (one door, one rule set).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.decorators import method_decorator

from cryptovault.limits import limited

F = TypeVar("F", bound=Callable[..., Any])

RATES = {
    "signup": "5/m",
    "verify": "10/m",
    "resend": "3/m",
    "login": "10/m",
    "forgot": "3/m",
    "reset": "5/m",
    "password_change": "10/m",
}


def limit(name: str) -> Callable[[F], F]:
    """Decorator for a view function: POSTs limited per client IP."""
    return limited(f"auth:{name}", RATES[name], methods=("POST",))


def limit_method(name: str) -> Callable[[F], F]:
    """The same, for a method of a class-based view."""
    return method_decorator(limit(name))
