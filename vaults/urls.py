from django.urls import path

from vaults import views

urlpatterns = [
    path("", views.vault_list, name="vault-list"),
    path("add/", views.vault_create, name="vault-create"),
    path("<int:pk>/", views.vault_overview, name="vault-overview"),
    path("<int:pk>/properties/", views.vault_properties, name="vault-properties"),
    path(
        "<int:pk>/properties/security-settings/",
        views.security_settings,
        name="security-settings",
    ),
    path("<int:pk>/audit-log/", views.audit_log, name="audit-log"),
    path("<int:pk>/alerts/", views.backup_alerts, name="backup-alerts"),
    path(
        "<int:pk>/alerts/configure/",
        views.configure_notifications,
        name="configure-notifications",
    ),
]
