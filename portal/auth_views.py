"""Sign-in in two steps: password, then a code from a second-factor device."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from portal import second_factor, throttle
from portal.forms import CodeForm, SignInForm

logger = logging.getLogger(__name__)


def with_next(view_name, target):
    return f"{resolve_url(view_name)}?{urlencode({'next': target})}"


def safe_next(request, default="vault-list"):
    """Follow `next` only to a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(safe_next(request))
    form = SignInForm(request, data=request.POST or None)
    address = request.META.get("REMOTE_ADDR")
    username = request.POST.get("username", "")

    wait = (
        throttle.seconds_blocked(username, address) if request.method == "POST" else 0
    )
    if wait:
        form.is_bound = False
        messages.error(
            request,
            "Too many failed sign-in attempts. Try again in "
            f"{second_factor.lockout_text(wait)}.",
        )
    elif request.method == "POST":
        if form.is_valid():
            throttle.clear_failures(username)
            auth.login(request, form.get_user())
            if second_factor.has_device(request.user):
                return redirect(with_next("otp-verify", safe_next(request)))
            return redirect(safe_next(request))
        throttle.record_failure(username, address)
        logger.info("sign-in failed address=%s", address)

    return render(
        request, "registration/login.html", {"form": form, "next": safe_next(request)}
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if request.user.is_verified():
        return redirect(safe_next(request))
    if not second_factor.has_device(request.user):
        return redirect(with_next("mfa-add-totp", safe_next(request)))
    form = CodeForm(request.POST or None)

    if request.method == "POST" and form.is_valid():
        device, wait = second_factor.verify_code(
            request.user, form.cleaned_data["code"]
        )
        if device is not None:
            otp_login(request, device)
            # A new session key for the raised privilege, as at the password
            # step: a key seen before the code step is worth nothing after it.
            request.session.cycle_key()
            return redirect(safe_next(request))
        if wait:
            form.add_error(
                "code",
                "Too many wrong codes. Wait "
                f"{second_factor.lockout_text(wait)} before trying again.",
            )
        else:
            form.add_error("code", "That code is not valid or was already used.")

    return render(
        request, "registration/verify.html", {"form": form, "next": safe_next(request)}
    )


@require_POST
def sign_out(request):
    auth.logout(request)
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGIN_URL)
