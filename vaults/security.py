"""Guards that keep security settings on once they are on.

These run below every caller (forms, admin, API, commands and code), and a
database trigger repeats the guard for raw SQL, so a new view or admin action
cannot forget it.
"""

from vaults.errors import SECURITY_CANNOT_BE_DISABLED, OperationRefused


def refuse_disabling(vault):
    if vault.pk is None or vault.security_settings_enabled:
        return
    from vaults.models import Vault

    stored = (
        Vault.objects.filter(pk=vault.pk)
        .values_list("security_settings_enabled", flat=True)
        .first()
    )
    if stored:
        raise OperationRefused(SECURITY_CANNOT_BE_DISABLED)


def refuse_disabling_in_bulk(queryset, changes):
    if "security_settings_enabled" not in changes:
        return
    if changes["security_settings_enabled"]:
        return
    if queryset.filter(security_settings_enabled=True).exists():
        raise OperationRefused(SECURITY_CANNOT_BE_DISABLED)
