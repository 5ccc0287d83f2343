from django_otp.admin import OTPAdminSite


class StrongroomAdminSite(OTPAdminSite):
    """The admin console, open only to staff verified with a second factor."""

    site_header = "Strongroom administration"
    site_title = "Strongroom admin"
    index_title = "Operators' console"
