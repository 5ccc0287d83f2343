"""Guards that keep security settings on once they are on.

These run below every caller (forms, admin, API, commands and code), and a
database trigger repeats the guard for raw SQL, so a new view or admin action
cannot forget it.
"""

from vaults.errors import (
    RETENTION_BELOW_MINIMUM,
    SECURITY_CANNOT_BE_DISABLED,
    OperationRefused,
)


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


def refuse_short_retention(policy):
    """Refuse saving a policy below the minimum in a vault with security on.

    The rule layer refuses it first with the reference's codes and an audit
    event; this stops code that would bypass it.
    """
    from vaults.retention import MINIMUMS

    short = [f for f, (least, _) in MINIMUMS.items() if getattr(policy, f) < least]
    if short and policy.vault.security_settings_enabled:
        raise OperationRefused(RETENTION_BELOW_MINIMUM, detail=", ".join(short))


def refuse_short_retention_in_bulk(queryset, changes):
    from vaults.retention import MINIMUMS

    for field, (least, _) in MINIMUMS.items():
        value = changes.get(field)
        too_short = isinstance(value, int) and value < least
        if (
            too_short
            and queryset.filter(vault__security_settings_enabled=True).exists()
        ):
            raise OperationRefused(RETENTION_BELOW_MINIMUM, detail=field)
