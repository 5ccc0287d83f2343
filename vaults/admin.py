from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from vaults import recipients
from vaults.errors import OperationRefused
from vaults.forms import validate_vault_name
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


class AlertRecipientForm(forms.ModelForm):
    # A plain text field: the rule, not the model field, decides what is valid.
    email = forms.CharField(max_length=1000)

    class Meta:
        model = AlertRecipient
        fields = ["email"]

    def clean_email(self):
        return recipients.normalise_address(self.cleaned_data["email"])


class AlertRecipientFormSet(BaseInlineFormSet):
    def clean(self):
        # The rule's own checks first, so the console says what the blade says.
        if not any(self.errors):
            add, remove = self.changes()
            before = set()
            if self.instance.pk is not None:
                before = set(
                    self.instance.alert_recipients.values_list("email", flat=True)
                )
            recipients.plan(before, add, remove)
        super().clean()

    def changes(self):
        """Return the addresses this formset adds and removes."""
        add, remove = [], []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None):
                continue
            stored = form.initial.get("email") if form.instance.pk else None
            if form.cleaned_data.get("DELETE"):
                if stored:
                    remove.append(stored)
                continue
            wanted = form.cleaned_data["email"]
            if wanted != stored:
                add.append(wanted)
                if stored:
                    remove.append(stored)
        return add, remove


class AlertRecipientInline(admin.TabularInline):
    model = AlertRecipient
    form = AlertRecipientForm
    formset = AlertRecipientFormSet
    extra = 0
    fields = ["email", "added_at"]
    readonly_fields = ["added_at"]


class VaultAdminForm(forms.ModelForm):
    class Meta:
        model = Vault
        fields = ["subscription", "name", "region"]

    def clean_name(self):
        return validate_vault_name(self.cleaned_data["name"])


@admin.register(Vault)
class VaultAdmin(admin.ModelAdmin):
    form = VaultAdminForm
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

    def has_delete_permission(self, request, obj=None):
        # Deleting a vault would take its backups and its settings with it;
        # with the settings on the database refuses it as well.
        if obj is not None and obj.security_settings_enabled:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # The bulk delete asks no per-vault question, so it is not offered.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            if obj.created_before_security_features:
                obj.security_settings_enabled = False
            else:
                obj.security_settings_enabled = True
                obj.security_enabled_at = timezone.now()
                obj.security_enabled_by = request.user
            obj.created_by = request.user
        else:
            # The switch changes with the recipients, through the rule, in
            # save_formset; the audit event and the alert come from there.
            obj.email_notifications_enabled = form.initial.get(
                "email_notifications_enabled", obj.email_notifications_enabled
            )
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not AlertRecipient:
            return super().save_formset(request, form, formset, change)
        add, remove = formset.changes()
        # The rule writes the rows; the admin's change message reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            [],
            [],
            [],
        )
        try:
            recipients.configure_notifications(
                form.instance,
                request.user,
                enabled=form.cleaned_data["email_notifications_enabled"],
                add=add,
                remove=remove,
                client_address=request.META.get("REMOTE_ADDR"),
                console=True,
            )
        except (ValidationError, OperationRefused) as error:
            # Another change landed between validation and saving; the
            # rest of the vault is saved, the recipients are not.
            text = "; ".join(getattr(error, "messages", [str(error)]))
            self.message_user(
                request, f"Alert recipients were not changed: {text}", messages.ERROR
            )


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
