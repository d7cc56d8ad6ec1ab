from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from markets.budget import credits_allowed, credits_monthly
from markets.models import Coin, PriceTick, QuotaUsage


@admin.register(Coin)
class CoinAdmin(admin.ModelAdmin):
    list_display = ["id", "symbol", "name", "rank", "is_tracked"]
    list_editable = ["is_tracked"]
    list_filter = ["is_tracked"]
    search_fields = ["id", "symbol", "name"]
    ordering = ["rank", "id"]
    # Image links typed without a scheme are https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(PriceTick)
class PriceTickAdmin(admin.ModelAdmin):
    list_display = ["coin", "price", "change_24h_pct", "source", "at"]
    list_filter = ["source", "coin"]
    search_fields = ["coin__id", "coin__symbol"]
    date_hierarchy = "at"
    list_select_related = ["coin"]

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False  # ticks are the history of record


@admin.register(QuotaUsage)
class QuotaUsageAdmin(admin.ModelAdmin):
    list_display = ["month", "credits_used", "credits_allowed_now", "monthly_budget", "updated_at"]
    readonly_fields = ["month", "credits_used", "updated_at"]

    @admin.display(description="Monthly budget")
    def monthly_budget(self, obj: QuotaUsage) -> int:
        return credits_monthly()

    @admin.display(description="Allowed by now")
    def credits_allowed_now(self, obj: QuotaUsage) -> int:
        return credits_allowed(obj.month)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
