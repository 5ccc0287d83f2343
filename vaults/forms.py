import re

from django import forms
from django.core.exceptions import ValidationError

from vaults import recipients
from vaults.models import BackupPolicy, MfaAnswer, Region, Vault

VAULT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,49}")
POLICY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,49}")


def validate_vault_name(name):
    """Return the name stripped, or raise the error a person can act on."""
    name = name.strip()
    if len(name) < 2:
        raise ValidationError("The name needs at least 2 characters.")
    if not name[0].isascii() or not name[0].isalpha():
        raise ValidationError("The name must start with a letter from A to Z.")
    if not VAULT_NAME.fullmatch(name):
        raise ValidationError(
            "Use only letters, digits and hyphens (no spaces or other signs)."
        )
    return name


ADDRESS_SEPARATORS = re.compile(r"[,;]")


class VaultCreateForm(forms.Form):
    subscription = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(
        label="Vault name",
        max_length=50,
        help_text="2 to 50 characters: a letter first, then letters, digits "
        "and hyphens.",
    )
    region = forms.ChoiceField(choices=Region.choices)

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions

    def clean_name(self):
        return validate_vault_name(self.cleaned_data["name"])

    def clean(self):
        cleaned = super().clean()
        name, subscription = cleaned.get("name"), cleaned.get("subscription")
        if name and subscription:
            taken = Vault.objects.filter(
                subscription=subscription, name__iexact=name
            ).exists()
            if taken:
                self.add_error(
                    "name", f"A vault named {name} already exists in {subscription}."
                )
        return cleaned


class SecuritySettingsForm(forms.Form):
    mfa_answer = forms.ChoiceField(
        label="Have you configured multi-factor authentication?",
        choices=[("", "Select an answer")] + MfaAnswer.choices,
        required=False,
    )
    state = forms.ChoiceField(
        label="Security features",
        choices=[("enable", "Enable"), ("disable", "Disable")],
        widget=forms.RadioSelect,
        initial="disable",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == "enable" and not cleaned.get("mfa_answer"):
            self.add_error(
                "mfa_answer",
                "Answer this question before choosing Enable.",
            )
        return cleaned


class BackupPolicyForm(forms.Form):
    """Parse a policy's name, schedule and retention; the rules judge them."""

    name = forms.CharField(max_length=50)
    schedule_time = forms.TimeField(
        label="Daily backup time (UTC)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    daily_days = forms.IntegerField(
        label="Keep daily points (days)", min_value=1, max_value=9999
    )
    weekly_weeks = forms.IntegerField(
        label="Keep weekly points (weeks)", min_value=0, max_value=5163
    )
    monthly_months = forms.IntegerField(
        label="Keep monthly points (months)", min_value=0, max_value=1188
    )
    yearly_years = forms.IntegerField(
        label="Keep yearly points (years)", min_value=0, max_value=99
    )

    def __init__(self, *args, vault, policy=None, **kwargs):
        if policy is not None:
            kwargs["initial"] = {
                field: getattr(policy, field) for field in self.base_fields
            }
        else:
            # A new policy starts from the model's defaults, all above the
            # minimum retention, so only a name is needed.
            kwargs["initial"] = {
                field: BackupPolicy._meta.get_field(field).default
                for field in self.base_fields
                if field != "name"
            }
        super().__init__(*args, **kwargs)
        self.vault = vault
        self.policy = policy
        if policy is not None:
            self.fields["name"].disabled = True

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.policy is not None:
            return self.policy.name
        if not POLICY_NAME.fullmatch(name):
            raise ValidationError(
                "Use letters, digits, hyphens and underscores, starting with a "
                "letter: agents name the policy on their command line."
            )
        if self.vault.policies.filter(name__iexact=name).exists():
            raise ValidationError(f"A policy named {name} already exists.")
        return name


class StopProtectionForm(forms.Form):
    delete_data = forms.BooleanField(
        label="Delete backup data",
        required=False,
        help_text="With security settings on, deleted data is kept 14 more days.",
    )
    confirm_name = forms.CharField(
        label="Type the item's name to confirm", required=False
    )

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("delete_data")
            and cleaned.get("confirm_name") != self.item.source
        ):
            self.add_error(
                "confirm_name",
                f"Type {self.item.source} exactly to delete its backup data.",
            )
        return cleaned


class NotificationsForm(forms.Form):
    email_notifications = forms.TypedChoiceField(
        label="Email notifications to additional recipients",
        choices=[("on", "On"), ("off", "Off")],
        coerce=lambda value: value == "on",
        widget=forms.RadioSelect,
    )
    add = forms.CharField(
        label="Add recipients",
        required=False,
        max_length=6000,
        help_text="One or more addresses, separated by commas or semicolons.",
    )
    remove = forms.MultipleChoiceField(
        label="Remove", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove"].choices = [
            (address, recipients.display_address(address)) for address in current
        ]

    def clean_add(self):
        parts = ADDRESS_SEPARATORS.split(self.cleaned_data["add"])
        found, errors = [], []
        for part in filter(None, (part.strip() for part in parts)):
            try:
                found.append(recipients.normalise_address(part))
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return found
