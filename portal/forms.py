import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

TOTP_CODE = re.compile(r"\d{6}")
BACKUP_CODE = re.compile(r"[a-z0-9]{8}")


def normalise_code(raw):
    """Drop the spaces and dashes people type into codes; lower-case letters."""
    return re.sub(r"[\s-]", "", raw or "").lower()


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="User name",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6-digit code from your authenticator app, or a backup code.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "inputmode": "text",
            }
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if TOTP_CODE.fullmatch(code) or BACKUP_CODE.fullmatch(code):
            return code
        raise ValidationError(
            "Enter the 6 digits from your authenticator app, or an 8-character "
            "backup code."
        )


class DeviceNameForm(forms.Form):
    name = forms.CharField(
        label="Device name", max_length=64, initial="Authenticator app"
    )


class ConfirmDeviceForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not TOTP_CODE.fullmatch(code):
            raise ValidationError("Enter the 6 digits the app shows now.")
        return code
