"""``{% load money %}`` (registered in TEMPLATES): numbers and moments as every page
shows them, from ``cryptovault.display`` (the same rules as ``static/js/lib/format.js``).

Filters: ``usd`` ("$1,234.56"), ``price`` (a coin's price: "$95,126.44", "$0.1803"),
``usd_whole`` ("$1,902,528,869,800"), ``qty`` ("0.01"), ``pct`` ("+3.19%").
Tag: ``{% moment value %}`` writes ``<time datetime="…" data-local>1 Dec 2026, 16:48
UTC</time>``, which the page's script shows in the reader's own zone.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html

from cryptovault import display

register = template.Library()

register.filter("usd", display.usd_text)
register.filter("price", display.price_text_usd)
register.filter("usd_whole", display.usd_whole_text)
register.filter("qty", display.quantity_text)
register.filter("pct", display.percent_text)


@register.simple_tag
def moment(value: datetime | None) -> str:
    """A ``<time>`` element: UTC text, rewritten to local time with its zone by JS."""
    if value is None:
        return display.NONE
    return format_html(
        '<time datetime="{}" data-local>{}</time>', value.isoformat(), display.moment_text(value)
    )
