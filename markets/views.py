"""Markets pages: the live table of tracked coins and one coin's page with its chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404
from django.views.generic import TemplateView

from cryptovault.dates import parse_moment
from markets.board import prices_board, sparklines
from markets.board_row import BoardRow, row_aged
from markets.history import coin_detail
from markets.selectors import CoinNotFound, coin_tracked, watchlist_coin_ids

# The table's sort orders, for the select that stands in for the column headers on
# phones (where market cap and volume are not shown): (key, direction, label).
SORTS = [
    ("rank", "ascending", "Rank"),
    ("name", "ascending", "Name (A to Z)"),
    ("name", "descending", "Name (Z to A)"),
    ("price", "descending", "Price (high to low)"),
    ("price", "ascending", "Price (low to high)"),
    ("change", "descending", "24h change (best first)"),
    ("change", "ascending", "24h change (worst first)"),
    ("market_cap", "descending", "Market cap (high to low)"),
    ("market_cap", "ascending", "Market cap (low to high)"),
    ("volume", "descending", "Volume (high to low)"),
    ("volume", "ascending", "Volume (low to high)"),
]


def _display(row: BoardRow, sparkline: list[float] | None = None) -> dict[str, Any]:
    """A board row as a page shows it: its age, which way it moved, its sparkline."""
    change = row.get("change_24h_pct")
    return {
        **row_aged(row),
        "direction": "" if change is None else ("down" if change.startswith("-") else "up"),
        "sparkline_points": _sparkline_points(sparkline or []),
    }


def _sparkline_points(series: list[float], width: int = 120, height: int = 32) -> str:
    """SVG polyline points for a 7-day sparkline, server-rendered (no script needed)."""
    if len(series) < 2:
        return ""
    low, high = min(series), max(series)
    span = (high - low) or 1.0
    step = width / (len(series) - 1)
    return " ".join(
        f"{i * step:.1f},{height - (value - low) / span * height:.1f}"
        for i, value in enumerate(series)
    )


def _oldest_quote(rows: list[BoardRow]) -> datetime | None:
    """When the oldest price on the board was quoted (what a stale page is as old as)."""
    moments = [parse_moment(row["last_updated"] or "") for row in rows]
    return min((moment for moment in moments if moment is not None), default=None)


class WatchlistMixin:
    """The signed-in reader's watched coin ids (none for a visitor, whose stars ask
    them to log in)."""

    request: Any

    def watched(self) -> set[str]:
        user = self.request.user
        return set(watchlist_coin_ids(user=user)) if user.is_authenticated else set()


class MarketListView(WatchlistMixin, TemplateView):
    template_name = "markets/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        board = prices_board()
        sparks = sparklines()
        watched = self.watched()
        return {
            **super().get_context_data(**kwargs),
            "coins": [
                {**_display(row, sparks.get(row["id"])), "watched": row["id"] in watched}
                for row in board["coins"]
            ],
            # One notice says where the page's prices come from; a row says so only
            # when its own source differs (one coin left stale, say).
            "source": board["source"],
            "quoted_since": _oldest_quote(board["coins"]),
            "watched_count": len(watched),
            "sorts": SORTS,
        }


class CoinDetailView(WatchlistMixin, TemplateView):
    template_name = "markets/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            coin = coin_tracked(coin_id=self.kwargs["coin_id"])
        except CoinNotFound as error:
            raise Http404(error.message) from None
        detail = _display(coin_detail(coin_id=coin.id))
        return {
            **super().get_context_data(**kwargs),
            "coin": coin,
            "detail": detail,
            "ath_date": parse_moment(detail.get("ath_date") or ""),
            "watched": coin.id in self.watched(),
            "ticket_price": detail["price_usd"] or "",
            "ranges": [(1, "1D"), (7, "7D"), (30, "30D"), (90, "90D"), (365, "1Y")],
        }
