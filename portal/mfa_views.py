"""The user's own second-factor devices: set up, backup codes, removal."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from portal import second_factor
from portal.auth_views import safe_next
from portal.decorators import verified_session_required
from portal.forms import ConfirmDeviceForm, DeviceNameForm


def _may_change_devices(request):
    # Someone without a device yet is setting up the first one; anyone who
    # has one must prove it before adding or removing another.
    return request.user.is_verified() or not second_factor.has_device(request.user)


@never_cache
def security_info(request):
    return render(
        request,
        "portal/mfa.html",
        {
            "devices": second_factor.user_devices(request.user),
            "codes_left": second_factor.backup_codes_left(request.user),
            "has_device": second_factor.has_device(request.user),
        },
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def add_totp(request):
    if not _may_change_devices(request):
        return redirect_to_login(request.path, "otp-verify")
    name_form = DeviceNameForm(request.GET or None)
    name = (
        name_form.cleaned_data["name"] if name_form.is_valid() else "Authenticator app"
    )
    device = second_factor.start_totp_enrolment(request.user, name)
    form = ConfirmDeviceForm(request.POST or None)

    if request.method == "POST" and form.is_valid():
        if second_factor.confirm_totp(device, form.cleaned_data["code"]):
            otp_login(request, device)
            messages.success(
                request, "Your authenticator app is set up. Keep backup codes too."
            )
            return redirect(safe_next(request, default="mfa"))
        form.add_error("code", "That code does not match. Check the app's clock.")

    return render(
        request,
        "portal/mfa_add_totp.html",
        {
            "form": form,
            "key_text": second_factor.totp_key_text(device),
            "qr_svg": second_factor.totp_qr_svg(device),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@verified_session_required
@require_POST
def backup_codes(request):
    codes = second_factor.regenerate_backup_codes(request.user)

    return render(request, "portal/mfa_backup_codes.html", {"codes": codes})


@verified_session_required
@require_POST
def remove_device(request, kind, device_id):
    if second_factor.remove_device(request.user, device_id, kind):
        messages.success(request, "The device was removed.")
    return redirect("mfa")
