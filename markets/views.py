"""Markets pages: the live table of tracked coins and one coin's page with its chart."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.views.generic import TemplateView

from markets.board import prices_board, sparklines
from markets.board_row import BoardRow, row_aged
from markets.history import coin_detail
from markets.selectors import CoinNotFound, coin_tracked


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


class MarketListView(TemplateView):
    template_name = "markets/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        board = prices_board()
        sparks = sparklines()
        return {
            **super().get_context_data(**kwargs),
            "coins": [_display(row, sparks.get(row["id"])) for row in board["coins"]],
            "source": board["source"],
        }


class CoinDetailView(TemplateView):
    template_name = "markets/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        try:
            coin = coin_tracked(coin_id=self.kwargs["coin_id"])
        except CoinNotFound as error:
            raise Http404(error.message) from None
        return {
            **super().get_context_data(**kwargs),
            "coin": coin,
            "detail": (detail := _display(coin_detail(coin_id=coin.id))),
            "ticket_price": detail["price_usd"] or "",
            "ranges": [(1, "1D"), (7, "7D"), (30, "30D"), (90, "90D"), (365, "1Y")],
        }
