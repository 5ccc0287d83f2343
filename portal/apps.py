from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"
    default = True

    def ready(self):
        from portal import checks  # noqa: F401  (registers system checks)


class StrongroomAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.admin_site.StrongroomAdminSite"
