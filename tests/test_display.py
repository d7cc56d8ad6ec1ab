"""Numbers as every page shows them: the server's filters and the pages' JavaScript
(static/js/lib/format.js) follow the same rules, checked on one table."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template

from cryptovault import display

FORMAT_JS = Path(__file__).resolve().parent.parent / "static" / "js" / "lib" / "format.js"

# (server function, the JS export that must agree, value, text)
TABLE = [
    ("usd_text", "usd", "1234.5", "$1,234.50"),
    ("usd_text", "usd", "-0.95", "-$0.95"),
    ("usd_text", "usd", "0.125", "$0.13"),
    ("usd_text", "usd", "0.0015", "$0.0015"),
    ("usd_text", "usd", "0.00120600", "$0.001206"),
    ("usd_text", "usd", "-0.00000001", "-$0.00000001"),
    ("usd_text", "usd", "10000.00000000", "$10,000.00"),
    ("usd_text", "usd", None, "—"),
    ("price_text_usd", "usdPrice", "95126.444", "$95,126.44"),
    ("price_text_usd", "usdPrice", "0.180312", "$0.1803"),
    ("price_text_usd", "usdPrice", "0.18", "$0.1800"),
    ("price_text_usd", "usdPrice", "0.99985", "$0.9999"),
    ("price_text_usd", "usdPrice", "1.00004", "$1.00"),
    ("price_text_usd", "usdPrice", "0.99996", "$1.00"),
    ("price_text_usd", "usdPrice", "0.000001206", "$0.000001206"),
    ("usd_whole_text", "usdWhole", "1902528869800.4", "$1,902,528,869,800"),
    ("quantity_text", "quantity", "0.01000000", "0.01"),
    ("quantity_text", "quantity", "1250.50000000", "1,250.5"),
    ("quantity_text", "quantity", "0.00000001", "0.00000001"),
    ("percent_text", "percent", "3.19", "+3.19%"),
    ("percent_text", "percent", "-2.885", "-2.89%"),
    ("percent_text", "percent", "-0.001", "0.00%"),
    ("percent_text", "percent", "12.3456", "+12.35%"),
]


@pytest.mark.parametrize(("function", "_js", "value", "text"), TABLE)
def test_the_server_writes_numbers_as_a_person_reads_them(function, _js, value, text):
    assert getattr(display, function)(value) == text


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run format.js")
def test_the_pages_javascript_writes_the_same_text():
    script = (
        f"import({json.dumps(FORMAT_JS.as_uri())}).then((format) => {{"
        f"  const rows = {json.dumps([[js, value] for _, js, value, _ in TABLE])};"
        "  console.log(JSON.stringify(rows.map(([name, value]) => format[name](value))));"
        "});"
    )
    answer = subprocess.run(
        ["node", "--no-warnings", "-e", script], capture_output=True, text=True, check=True
    )
    assert json.loads(answer.stdout) == [text for *_, text in TABLE]


def test_a_moment_is_written_in_utc_with_its_zone_for_the_script_to_localize():
    at = datetime(2026, 12, 1, 16, 48, 30, tzinfo=UTC)
    html = Template("{% load money %}{% moment at %}").render(Context({"at": at}))
    assert html == (
        '<time datetime="2026-12-01T16:48:30+00:00" data-local>1 Dec 2026, 16:48 UTC</time>'
    )


def test_the_filters_are_the_display_rules():
    html = Template(
        "{% load money %}{{ a|usd }} {{ p|price }} {{ q|qty }} {{ c|pct }} {{ w|usd_whole }}"
    ).render(
        Context(
            {
                "a": Decimal("7498.50032723"),
                "p": Decimal("0.18"),
                "q": Decimal("0.5"),
                "c": "1.5",
                "w": "1234567.8",
            }
        )
    )
    assert html == "$7,498.50 $0.1800 0.5 +1.50% $1,234,568"


DECIMAL_JS = FORMAT_JS.with_name("decimal.js")

# (quantity, price, cost): value = quantity * price to 8 places, P&L % of cost to 4,
# as trading/portfolio.py computes them (ROUND_HALF_UP), including negatives and ties.
RECOMPUTED = [
    ("0.01000000", "95126.444", "900.00"),
    ("1E-8", "0.180312", "0.00000001"),
    ("1250.50000000", "0.00000125", "0.01"),
    ("3", "0.333333335", "-1.5"),
    ("-0.5", "2.000000005", "7"),
    ("2", "0", "0"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run decimal.js")
def test_the_pages_recompute_values_exactly_as_the_server():
    from cryptovault.money import q8
    from trading.portfolio import percent_of

    expected = []
    for quantity, price, cost in RECOMPUTED:
        value = q8(Decimal(quantity) * Decimal(price))
        pct = percent_of(value - Decimal(cost), Decimal(cost))
        expected.append([f"{value:f}", None if pct is None else f"{pct:f}"])
    script = (
        f"import({json.dumps(DECIMAL_JS.as_uri())}).then((d) => {{"
        f"  const rows = {json.dumps(RECOMPUTED)};"
        "  console.log(JSON.stringify(rows.map(([q, p, c]) => {"
        "    const value = d.round(d.mul(d.decimal(q), d.decimal(p)), 8);"
        "    return [d.text(value), d.text(d.percentOf(d.sub(value, d.decimal(c)), d.decimal(c)))];"
        "  })));"
        "});"
    )
    answer = subprocess.run(
        ["node", "--no-warnings", "-e", script], capture_output=True, text=True, check=True
    )
    assert json.loads(answer.stdout) == expected
