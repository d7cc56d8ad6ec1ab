from django.contrib import admin

from chains.models import LinkedWallet, SiweNonce


@admin.register(LinkedWallet)
class LinkedWalletAdmin(admin.ModelAdmin):
    list_display = ["address", "user", "chain_id", "linked_at"]
    list_filter = ["chain_id"]
    search_fields = ["address", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["address", "user", "chain_id", "linked_at"]


@admin.register(SiweNonce)
class SiweNonceAdmin(admin.ModelAdmin):
    list_display = ["nonce", "user", "created_at", "expires_at", "used_at"]
    search_fields = ["nonce", "user__email"]
    readonly_fields = ["nonce", "user", "created_at", "expires_at", "used_at"]
