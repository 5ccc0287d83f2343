from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django_otp.admin import OTPAdminSite


class StrongroomAdminSite(OTPAdminSite):
    """The admin console, open only to staff verified with a second factor."""

    site_header = "Strongroom administration"
    site_title = "Strongroom admin"
    index_title = "Operators' console"

    def login(self, request, extra_context=None):
        """Send people through the portal's sign-in instead of a second form.

        The portal's sign-in throttles wrong passwords per user and address;
        a login form of the admin's own would be a way around that.
        """
        # Imported here: the admin site is built while apps load, before the
        # auth forms that portal.auth_views pulls in can be imported.
        from portal.auth_views import safe_next

        target = safe_next(request, default="admin:index")
        if not request.user.is_authenticated:
            return redirect_to_login(target, "login")
        if not request.user.is_verified():
            return redirect_to_login(target, "otp-verify")
        if not self.has_permission(request):
            raise PermissionDenied("The admin console is for staff only.")
        return redirect(target)
