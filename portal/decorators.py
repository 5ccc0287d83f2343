from functools import wraps

from django.contrib.auth.views import redirect_to_login


def verified_session_required(view):
    """Send a session without a verified second factor to the code step."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified():
            return redirect_to_login(request.get_full_path(), "otp-verify")
        return view(request, *args, **kwargs)

    return wrapper
