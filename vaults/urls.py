from django.urls import path

from vaults import backup_views, deletion_views, views

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
    path("<int:pk>/properties/security-pin/", views.security_pin, name="security-pin"),
    path("<int:pk>/deleted-items/", deletion_views.deleted_items, name="deleted-items"),
    path(
        "<int:pk>/deleted-items/<int:item_pk>/undelete/",
        deletion_views.undelete,
        name="item-undelete",
    ),
    path(
        "<int:pk>/items/<int:item_pk>/stop/",
        deletion_views.stop_protection,
        name="item-stop-protection",
    ),
    path("<int:pk>/audit-log/", views.audit_log, name="audit-log"),
    path(
        "<int:pk>/properties/backup-credentials/",
        backup_views.backup_credentials,
        name="backup-credentials",
    ),
    path(
        "<int:pk>/backup-infrastructure/",
        backup_views.backup_infrastructure,
        name="backup-infrastructure",
    ),
    path("<int:pk>/backup-items/", backup_views.backup_items, name="backup-items"),
    path(
        "<int:pk>/backup-items/<int:item_pk>/",
        backup_views.backup_item,
        name="backup-item",
    ),
    path(
        "<int:pk>/backup-policies/",
        backup_views.backup_policies,
        name="backup-policies",
    ),
    path(
        "<int:pk>/backup-policies/add/",
        backup_views.backup_policy_edit,
        name="backup-policy-add",
    ),
    path(
        "<int:pk>/backup-policies/<int:policy_pk>/",
        backup_views.backup_policy_edit,
        name="backup-policy-edit",
    ),
    path("<int:pk>/alerts/", views.backup_alerts, name="backup-alerts"),
    path(
        "<int:pk>/alerts/configure/",
        views.configure_notifications,
        name="configure-notifications",
    ),
]
