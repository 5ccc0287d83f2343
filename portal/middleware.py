from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from portal import second_factor

# Paths with their own authentication (the agent API, the admin console's
# second-factor login) or none at all (sign-in, static files).
OPEN_PREFIXES = ("/accounts/login/", "/static/", "/api/agent/", "/admin/")
CODE_STEP_PREFIXES = ("/accounts/verify/", "/accounts/logout/")
SETUP_PREFIXES = ("/accounts/mfa/", "/accounts/logout/")


def must_set_up_second_factor(user):
    return user.memberships.filter(subscription__require_mfa=True).exists()


class SignInRequiredMiddleware:
    """Keep every portal page behind the password and, where due, the code step.

    A user with a device who has not given a code yet may reach only the code
    step; a member of a subscription that requires a second factor and has no
    device may reach only the set-up pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if user.is_verified():
            return self.get_response(request)
        if second_factor.has_device(user):
            if not path.startswith(CODE_STEP_PREFIXES):
                return redirect_to_login(request.get_full_path(), "otp-verify")
        elif must_set_up_second_factor(user) and not path.startswith(SETUP_PREFIXES):
            return redirect_to_login(request.get_full_path(), reverse("mfa-add-totp"))
        return self.get_response(request)
