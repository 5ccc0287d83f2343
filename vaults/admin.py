from django.contrib import admin
from django.utils import timezone

from vaults.models import (
    AlertRecipient,
    AuditEvent,
    BackupPolicy,
    Membership,
    Notification,
    OutboxMessage,
    RegisteredServer,
    Subscription,
    Vault,
)

SECURITY_FIELDS = [
    "security_settings_enabled",
    "security_enabled_at",
    "security_enabled_by",
    "mfa_answer",
]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "require_mfa", "created_at"]
    list_filter = ["require_mfa"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "subscription", "role"]
    list_filter = ["role", "subscription"]
    search_fields = ["user__username", "user__email", "subscription__name"]
    autocomplete_fields = ["user", "subscription"]
    list_select_related = ["user", "subscription"]


class AlertRecipientInline(admin.TabularInline):
    model = AlertRecipient
    extra = 0
    fields = ["email", "added_at"]
    readonly_fields = ["added_at"]


@admin.register(Vault)
class VaultAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "subscription",
        "region",
        "security_settings_enabled",
        "created_at",
    ]
    list_filter = ["security_settings_enabled", "region", "subscription"]
    search_fields = ["name", "subscription__name"]
    list_select_related = ["subscription"]
    autocomplete_fields = ["subscription"]
    inlines = [AlertRecipientInline]
    fields = [
        "subscription",
        "name",
        "region",
        "created_before_security_features",
        "email_notifications_enabled",
        *SECURITY_FIELDS,
    ]

    def get_readonly_fields(self, request, obj=None):
        # Security settings change only through the Security Settings blade,
        # which asks the MFA question and writes the audit trail.
        if obj is None:
            return SECURITY_FIELDS
        return [*SECURITY_FIELDS, "subscription", "created_before_security_features"]

    def save_model(self, request, obj, form, change):
        if not change:
            if obj.created_before_security_features:
                obj.security_settings_enabled = False
            else:
                obj.security_settings_enabled = True
                obj.security_enabled_at = timezone.now()
                obj.security_enabled_by = request.user
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "vault",
        "operation",
        "outcome",
        "actor_label",
        "error_code",
        "client_address",
    ]
    list_filter = ["outcome", "operation"]
    search_fields = ["vault__name", "actor_label"]
    list_select_related = ["vault"]
    date_hierarchy = "occurred_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "vault", "subject", "state", "attempts"]
    list_filter = ["state"]
    search_fields = ["vault__name", "subject"]
    list_select_related = ["vault"]
    exclude = ["body_html"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subject", "to"]
    search_fields = ["subject"]
    exclude = ["body_html"]


@admin.register(RegisteredServer)
class RegisteredServerAdmin(ReadOnlyAdmin):
    list_display = ["name", "vault", "kind", "agent_version", "product_version"]
    list_filter = ["kind"]
    search_fields = ["name", "vault__name"]
    list_select_related = ["vault"]
    exclude = ["credential_hash", "key_envelope"]


@admin.register(BackupPolicy)
class BackupPolicyAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "vault",
        "daily_days",
        "weekly_weeks",
        "monthly_months",
        "yearly_years",
    ]
    search_fields = ["name", "vault__name"]
    list_select_related = ["vault"]
