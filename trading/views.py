"""Trading pages: the ticket, orders, portfolio and transactions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View
from django.views.generic import TemplateView

from cryptovault.display import price_text_usd, quantity_text, usd_text
from cryptovault.errors import DomainError
from cryptovault.form_views import ServiceFormView, form_error_from
from cryptovault.limits import RateLimited
from cryptovault.redirects import safe_next_url
from markets.selectors import coin_price_latest, coins_tracked
from trading import selectors, services
from trading.forms import OrderForm, TradeFilterForm, TransactionFilterForm
from trading.models import LedgerKind, OrderStatus
from trading.portfolio import HISTORY_RANGE_DEFAULT, HISTORY_RANGES, portfolio_for
from trading.trades import trade_from, trades_for


class TradeView(LoginRequiredMixin, ServiceFormView):
    """The ticket on its own page (the coin pages embed the same partial)."""

    template_name = "trading/trade.html"
    form_class = OrderForm

    def get_initial(self) -> dict[str, Any]:
        # A link may choose the coin and the side (a holding's "Sell", a price's coin).
        initial = {"coin": self.request.GET.get("coin", "bitcoin")}
        side, sides = self.request.GET.get("side", ""), self.form_class.base_fields["side"]
        if isinstance(sides, forms.ChoiceField) and sides.valid_value(side):
            initial["side"] = side
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        coins = {coin.id: coin for coin in coins_tracked()}
        balances = selectors.balances_for(user=self.request.user)  # type: ignore[arg-type]
        # Coins by name and symbol: dollars first, then the coins in market-cap order.
        rank = {coin_id: place for place, coin_id in enumerate(coins)}
        context["balance_rows"] = sorted(
            (
                {"balance": balance, "coin": coins.get(balance.asset)}
                for balance in balances
                if balance.asset == "USD" or balance.available or balance.held
            ),
            key=lambda row: (row["coin"] is not None, rank.get(row["balance"].asset, 0)),
        )
        context["ticket_coins"] = list(coins.values())  # the ticket's choice, with symbols
        context["fee_pct"] = f"{settings.TRADING_FEE_RATE * 100:g}%"
        context["price_rows"] = [
            (coin, tick.price)
            for coin in coins.values()
            if (tick := coin_price_latest(coin_id=coin.id)) is not None
        ]
        return context

    def perform(self, form: OrderForm) -> HttpResponse:
        data = form.cleaned_data
        order = services.order_place(
            user=self.request.user,  # type: ignore[arg-type]
            coin_id=data["coin"],
            side=data["side"],
            type=data["type"],
            # Every field as sent: the service refuses one of another order type
            # (the ticket's script does not send those) instead of ignoring it.
            quantity=data.get("quantity"),
            quote_amount=data.get("quote_amount"),
            limit_price=data.get("limit_price"),
            stop_price=data.get("stop_price"),
        ).order
        if order.status == OrderStatus.FILLED:
            messages.success(
                self.request,
                f"{order.get_side_display()} {quantity_text(order.filled_quantity)} "
                f"{order.coin.symbol.upper()} filled at {price_text_usd(order.average_price)} "
                f"(fee {usd_text(order.fee)}).",
            )
        else:
            messages.success(self.request, f"Your {order.type} order #{order.pk} is open.")
        return HttpResponseRedirect(safe_next_url(self.request, default=reverse("trading:orders")))

    def refused(self, form: OrderForm, error: DomainError) -> HttpResponse:
        if not isinstance(error, RateLimited):
            return super().refused(form, error)
        # The ticket again, saying so, with the status and the wait a client can read.
        seconds = f"{error.retry_after} second{pluralize(error.retry_after)}"
        form_error_from(
            form, error, message=f"{error.message} You can place orders again in {seconds}."
        )
        response = self.form_invalid(form)
        response.status_code = error.status_code
        response["Retry-After"] = str(error.retry_after)
        return response


class OrdersView(LoginRequiredMixin, TemplateView):
    """Open orders (each with its Cancel), then the closed ones, newest first."""

    template_name = "trading/orders.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        orders = selectors.orders_for(user=self.request.user)  # type: ignore[arg-type]
        history = Paginator(orders.exclude(status=OrderStatus.OPEN), 25).get_page(
            self.request.GET.get("page")
        )
        return {
            **super().get_context_data(**kwargs),
            "open_orders": orders.filter(status=OrderStatus.OPEN),
            "history": history,
            "history_rows": [
                {
                    "order": order,
                    "trade": trade_from(order) if order.status == OrderStatus.FILLED else None,
                }
                for order in history
            ],
        }


class OrderDetailView(LoginRequiredMixin, TemplateView):
    """One order: what was asked, what filled, and the ledger entries it wrote."""

    template_name = "trading/order_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        order = selectors.orders_for(user=user).filter(pk=kwargs["order_id"]).first()  # type: ignore[arg-type]
        if order is None:
            raise Http404("No such order.")
        return {
            **super().get_context_data(**kwargs),
            "order": order,
            "trade": trade_from(order) if order.status == OrderStatus.FILLED else None,
            "entries": selectors.transactions_for(user=user, order_id=order.pk),  # type: ignore[arg-type]
        }


class OrderCancelView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, order_id: int) -> HttpResponse:
        try:
            order = services.order_cancel(user=request.user, order_id=order_id)  # type: ignore[arg-type]
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Order #{order.pk} cancelled; its hold is released.")
        # Back where the Cancel was pressed (the order's own page, the dashboard...).
        return HttpResponseRedirect(safe_next_url(request, default=reverse("trading:orders")))


class PortfolioView(LoginRequiredMixin, TemplateView):
    """Value, return since start, P&L, holdings with what open orders reserve, the
    allocation and the value chart; portfolio.js keeps the values live."""

    template_name = "trading/portfolio.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "portfolio": portfolio_for(user=user),  # type: ignore[arg-type]
            "open_orders": selectors.open_orders_count(user=user),  # type: ignore[arg-type]
            "history_ranges": list(HISTORY_RANGES),
            "history_range": HISTORY_RANGE_DEFAULT,
        }


def _filters(form: forms.Form) -> dict[str, Any]:
    """The valid, non-empty filters of a bound form; a field in error is shown as such on
    the page and the others still filter."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {key: value for key, value in form.cleaned_data.items() if value}


def _with_query(url: str, filters: dict[str, Any]) -> str:
    query = urlencode({key: str(value) for key, value in filters.items()})
    return f"{url}?{query}" if query else url


class TransactionsView(LoginRequiredMixin, TemplateView):
    """The ledger: every change of a balance, filtered by type, asset and days."""

    template_name = "trading/transactions.html"
    kind_meanings = {
        LedgerKind.DEPOSIT: "Demo dollars credited to your account.",
        LedgerKind.TRADE: "Dollars paid or received for coins, and the coins themselves.",
        LedgerKind.FEE: "The trading fee, always charged in dollars.",
        LedgerKind.HOLD: "Set aside for an open limit or stop order, to pay for it when it fills.",
        LedgerKind.RELEASE: "What a hold gives back when its order fills or is cancelled.",
    }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = TransactionFilterForm(self.request.GET or None)
        filters = _filters(form)
        entries = selectors.transactions_for(user=self.request.user, **filters)  # type: ignore[arg-type]
        page = Paginator(entries, 50).get_page(self.request.GET.get("page"))
        days = {key: value for key, value in filters.items() if key in ("since", "until")}
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "coins": coins_tracked(),
            "kind_meanings": [
                (LedgerKind(kind).label, meaning) for kind, meaning in self.kind_meanings.items()
            ],
            "query": urlencode({key: str(value) for key, value in filters.items()}),
            "export_url": _with_query(reverse("api-transactions-export"), filters),
            "trades_export_url": _with_query(reverse("api-trades-export"), days),
        }


class TradesView(LoginRequiredMixin, TemplateView):
    """Every fill: coin, side, quantity, price, fee and what it paid or received."""

    template_name = "trading/trades.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = TradeFilterForm(self.request.GET or None)
        filters = _filters(form)
        fills = trades_for(user=self.request.user, **filters)  # type: ignore[arg-type]
        page = Paginator(fills, 50).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "trades": [trade_from(order) for order in page],
            "query": urlencode({key: str(value) for key, value in filters.items()}),
            "export_url": _with_query(reverse("api-trades-export"), filters),
        }
