"""Trading's words for every template: the order sides and types from the model choices
(the ticket is embedded on coin pages too) and the demo dollars a new account gets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from trading.models import OrderType, Side


def trading_terms(request: HttpRequest) -> dict[str, Any]:
    return {
        "order_sides": Side.choices,
        "order_types": OrderType.choices,
        "starting_balance": settings.DEMO_STARTING_BALANCE_USD,
    }
