from django.contrib import admin
from django.http import HttpRequest

from trading.models import Balance, LedgerEntry, Order


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money is changed by the services only, so the ledger stays the sum of its entries."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "asset", "available", "held", "updated_at"]
    list_filter = ["asset"]
    search_fields = ["user__email", "asset"]
    list_select_related = ["user"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "kind", "asset", "amount", "balance_after", "order"]
    list_filter = ["kind", "asset"]
    search_fields = ["user__email", "order__id"]
    date_hierarchy = "at"
    list_select_related = ["user", "order"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "coin",
        "side",
        "type",
        "status",
        "quantity",
        "average_price",
        "fee",
        "created_at",
    ]
    list_filter = ["status", "type", "side", "coin"]
    search_fields = ["user__email", "=id", "client_order_id"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "coin"]
