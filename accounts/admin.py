"""Operators' view of users: search, filters, verify and deactivate in bulk.

Also where the admin's login door is wired to the accounts service (lockout, audit):
see ``accounts.forms.AdminLoginForm``; its rate limit is ``accounts.views.admin_login``.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.forms import AdminLoginForm
from accounts.models import AuditEvent, SentEmail, User

admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "name", "email_verified_at", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", ("email_verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "email_verified_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),
    )
    actions = ["mark_verified", "deactivate"]

    @admin.action(description="Mark selected users' email as verified")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.filter(email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        self.message_user(request, f"{count} user(s) marked verified.", messages.SUCCESS)

    @admin.action(description="Deactivate selected users")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.exclude(pk=request.user.pk or 0).update(is_active=False)
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that nobody edits: operators read them, the code writes them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "email", "user", "ip", "request_id"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["email", "user__email", "ip", "request_id", "action"]
    date_hierarchy = "at"


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdmin):
    """One row per email: ``retrying`` while attempts fail, then sent, or failed after
    the last retry (filter by status: failed), with the attempts and the last error."""

    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "request_id"]
    date_hierarchy = "created_at"
    exclude = ["body_text", "body_html"]  # may hold live codes: read them in /dev/outbox/
