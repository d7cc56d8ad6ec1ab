"""The CSV files a trader downloads: the ledger, and the trades as Ghostfolio imports them.

Both are streamed line by line. Decimals are written in plain notation with the places
the API uses (``cryptovault.money``), never ``1E-8``.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from cryptovault.money import amount_text, price_text
from trading.models import LedgerEntry, Order
from trading.trades import trade_from

# Ghostfolio's activity import (SPEC §4): these columns, in this order. ``Code`` is the
# CoinGecko id, which Ghostfolio's COINGECKO data source prices by.
GHOSTFOLIO_COLUMNS = [
    "Date",
    "Code",
    "DataSource",
    "Currency",
    "Price",
    "Quantity",
    "Action",
    "Fee",
    "Note",
]
GHOSTFOLIO_DATA_SOURCE = "COINGECKO"
GHOSTFOLIO_CURRENCY = "USD"


class _Echo:
    def write(self, value: str) -> str:
        return value


def first_row_read(rows: Iterator[Any]) -> Iterator[Any]:
    """``rows`` with the first one already read, so the query has run.

    A streaming response sends its 200 and headers before it reads the first line; an
    error after that can no longer become an error response. Under the ASGI server the
    client was then left waiting forever (daphne tries to start a 500 on a response
    already started, fails, and never finishes the stream). So the first row is read
    here, while the view can still answer 400 or 500.
    """
    first = list(itertools.islice(rows, 1))
    return itertools.chain(first, rows)


def transactions_csv(entries: Any) -> Iterator[str]:
    """The CSV lines of ledger ``entries`` (a queryset), with the query already run."""
    return _transaction_lines(first_row_read(entries.iterator(chunk_size=500)))


def _transaction_lines(entries: Iterable[LedgerEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["id", "at", "kind", "asset", "amount", "balance_after", "order"])
    for entry in entries:
        yield writer.writerow(
            [
                entry.pk,
                entry.at.isoformat(),
                entry.kind,
                entry.asset,
                entry.amount,
                entry.balance_after,
                entry.order_id or "",
            ]
        )


def ghostfolio_date(moment: datetime) -> str:
    """ISO-8601 in UTC to the second: ``2026-03-01T14:05:09Z`` (Ghostfolio parses it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def trades_csv(fills: Any) -> Iterator[str]:
    """Ghostfolio's import CSV of ``fills`` (filled orders, ``trading.trades.trades_for``),
    one line per fill, with the query already run."""
    return _trade_lines(first_row_read(fills.iterator(chunk_size=500)))


def _trade_lines(fills: Iterable[Order]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(GHOSTFOLIO_COLUMNS)
    for order in fills:
        trade = trade_from(order)
        yield writer.writerow(
            [
                ghostfolio_date(trade.at),
                trade.coin.pk,
                GHOSTFOLIO_DATA_SOURCE,
                GHOSTFOLIO_CURRENCY,
                price_text(trade.price),
                amount_text(trade.quantity),
                trade.side,
                amount_text(trade.fee),
                f"CryptoVault order #{trade.order_id} ({trade.type})",
            ]
        )
