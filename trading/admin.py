"""Operators' screens for trading: balances, the ledger and orders (read only), the
overview page, and the two things an operator may do to money, both through the
services and audited: cancel open orders and credit demo dollars.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html

from accounts.models import User
from cryptovault import display
from cryptovault.errors import DomainError
from cryptovault.form_views import form_error_from
from cryptovault.money import amount_form_field
from trading.models import Balance, LedgerEntry, Order, OrderStatus
from trading.overview import operations_overview
from trading.services.funding import REASON_MAX_LENGTH
from trading.services.operators import accounts_credit, order_cancel_by_staff


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money is changed by the services only, so the ledger stays the sum of its entries."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class CreditForm(forms.Form):
    """The intermediate page of the credit action: how much, and why (kept in the audit)."""

    amount = amount_form_field(label="Amount (USD)", help_text="Dollars and cents, above $0.")
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        help_text="Kept in the audit trail with your name.",
        widget=forms.TextInput(attrs={"size": 60}),
    )


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "asset", "available", "held", "updated_at"]
    list_filter = ["asset"]
    search_fields = ["user__email", "asset"]
    list_select_related = ["user"]
    actions = ["credit_demo_dollars"]

    def has_credit_permission(self, request: HttpRequest) -> bool:
        # A credit writes a ledger entry: operators allowed to add entries may give one.
        return request.user.has_perm("trading.add_ledgerentry")

    @admin.action(
        description="Credit demo dollars to the selected balances' owners",
        permissions=["credit"],
    )
    def credit_demo_dollars(
        self, request: HttpRequest, queryset: QuerySet[Balance]
    ) -> HttpResponse | None:
        users = list(User.objects.filter(pk__in=queryset.values("user_id")).order_by("email"))
        form = CreditForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                accounts_credit(
                    users=users,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    staff=request.user,  # type: ignore[arg-type]
                )
            except DomainError as error:
                form_error_from(form, error)
            else:
                amount = display.usd_text(form.cleaned_data["amount"])
                self.message_user(
                    request, f"Credited {amount} to {len(users)} user(s).", messages.SUCCESS
                )
                return None  # back to the list
        return TemplateResponse(
            request,
            "admin/trading/balance/credit.html",
            {
                **self.admin_site.each_context(request),
                "title": "Credit demo dollars",
                "opts": self.model._meta,
                "form": form,
                "users": users,
                "balances": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "kind", "asset", "amount", "balance_after", "order"]
    list_filter = ["kind", "asset"]
    search_fields = ["user__email", "order__id"]
    date_hierarchy = "at"
    list_select_related = ["user", "order"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    # Nine short columns fit beside the filters at 1366 px (static/css/admin.css): the
    # coin by symbol, side and type in one, numbers as the pages show them (not
    # 18-place decimals), addresses and times that may wrap.
    list_display = [
        "id",
        "user_email",
        "coin_symbol",
        "kind",
        "status",
        "quantity_shown",
        "price_shown",
        "fee_shown",
        "created_shown",
    ]
    list_display_links = ["id"]
    ordering = ["-id"]
    list_filter = ["status", "type", "side", "coin"]
    search_fields = ["user__email", "=id", "client_order_id"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "coin"]
    actions = ["cancel_open_orders"]

    @admin.display(description="User", ordering="user__email")
    def user_email(self, order: Order) -> str:
        # An address may break before its "@", not in the middle of the domain.
        local, _, domain = order.user.email.rpartition("@")
        return format_html("{}<wbr>@{}", local, domain)

    @admin.display(description="Coin", ordering="coin__symbol")
    def coin_symbol(self, order: Order) -> str:
        return order.coin.symbol.upper()

    @admin.display(description="Order", ordering="side")
    def kind(self, order: Order) -> str:
        return f"{order.get_side_display()} {order.get_type_display().lower()}"

    @admin.display(description="Quantity", ordering="quantity")
    def quantity_shown(self, order: Order) -> str:
        return display.quantity_text(order.quantity)

    @admin.display(description="Price")
    def price_shown(self, order: Order) -> str:
        """What it filled at, else the price it waits for."""
        price = order.average_price or order.limit_price or order.stop_price
        return display.price_text_usd(price)

    @admin.display(description="Fee", ordering="fee")
    def fee_shown(self, order: Order) -> str:
        return display.usd_text(order.fee) if order.fee else display.NONE

    # Not a sort of its own: the list is newest first by id, the order orders are placed
    # in (one sorted column, not two, each with its sort controls taking room).
    @admin.display(description="Placed (UTC)")
    def created_shown(self, order: Order) -> str:
        return f"{order.created_at:%Y-%m-%d %H:%M}"

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("trading.change_order")

    @admin.action(description="Cancel selected open orders", permissions=["cancel"])
    def cancel_open_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        open_ids = list(
            queryset.filter(status=OrderStatus.OPEN).order_by("pk").values_list("pk", flat=True)
        )
        skipped = queryset.exclude(status=OrderStatus.OPEN).count()
        cancelled, refused = [], []
        for order_id in open_ids:
            try:
                order_cancel_by_staff(order_id=order_id, staff=request.user)  # type: ignore[arg-type]
            except DomainError as error:  # filled or cancelled since the list was shown
                refused.append(f"#{order_id}: {error.message}")
            else:
                cancelled.append(f"#{order_id}")
        if cancelled:
            self.message_user(
                request,
                f"Cancelled {len(cancelled)} order(s), holds released: {', '.join(cancelled)}.",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, "Not cancelled: " + "; ".join(refused), messages.WARNING)
        if skipped:
            self.message_user(
                request,
                f"{skipped} selected order(s) were not open: left as they are.",
                messages.INFO,
            )

    # --- the operators' overview: /admin/trading/order/overview/ -------------------

    def get_urls(self) -> list[URLPattern]:
        overview = self.admin_site.admin_view(self.overview_view)
        return [path("overview/", overview, name="operations_overview"), *super().get_urls()]

    def overview_view(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Users, orders and volume today, the feed and its quota, email failures and the
        latest audit events (staff only: ``admin_view`` sends others to the login)."""
        return TemplateResponse(
            request,
            "admin/overview.html",
            {
                **self.admin_site.each_context(request),
                "title": "Operations overview",
                "overview": operations_overview(),
            },
        )
