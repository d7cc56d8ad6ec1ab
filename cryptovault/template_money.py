"""``{% load money %}`` (registered in TEMPLATES): ``{{ value|usd }}``, dollars to the cent with
the sign in front ("-$0.95", "$1,234.50")."""

from __future__ import annotations

from django import template

from cryptovault.money import usd_text

register = template.Library()


@register.filter
def usd(value: object) -> str:
    """``cryptovault.money.usd_text``: the one way dollars are written on a page."""
    return usd_text(value)
