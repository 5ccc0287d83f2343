from django.contrib import admin
from django.urls import include, path, re_path

from portal import auth_views, mfa_views, views
from vaults.api import api as agent_api
from vaults.api import unknown_path as agent_api_unknown_path

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("accounts/login/", auth_views.sign_in, name="login"),
    path("accounts/verify/", auth_views.verify, name="otp-verify"),
    path("accounts/logout/", auth_views.sign_out, name="logout"),
    path("accounts/mfa/", mfa_views.security_info, name="mfa"),
    path("accounts/mfa/add/", mfa_views.add_totp, name="mfa-add-totp"),
    path("accounts/mfa/backup-codes/", mfa_views.backup_codes, name="mfa-backup-codes"),
    path(
        "accounts/mfa/<str:kind>/<int:device_id>/remove/",
        mfa_views.remove_device,
        name="mfa-remove",
    ),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_message, name="outbox-message"),
    path("vaults/", include("vaults.urls")),
    path("admin/", admin.site.urls),
    path("api/agent/v1/", agent_api.urls),
    re_path(r"^api/agent/", agent_api_unknown_path),
]
