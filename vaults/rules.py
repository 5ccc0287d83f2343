"""Critical operations and the rules that guard them.

Views, the agent API, admin actions and tasks call these functions; none of
them decides a security question on its own.
"""

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vaults import audit
from vaults.access import require_role, require_verified
from vaults.errors import (
    MFA_ANSWER_REQUIRED,
    MFA_NOT_SET_UP,
    SECURITY_CANNOT_BE_DISABLED,
    OperationRefused,
)
from vaults.models import MfaAnswer, Operation, Outcome, Role, Vault


def has_authenticator_app(user):
    # Backup codes alone do not count: they are the fallback for a lost app,
    # not a second factor someone configured.
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def create_vault(user, subscription, name, region):
    """Create a vault with security settings on, as every new vault has."""
    now = timezone.now()
    with transaction.atomic():
        vault = Vault.objects.create(
            subscription=subscription,
            name=name,
            region=region,
            created_at=now,
            created_by=user,
            security_settings_enabled=True,
            security_enabled_at=now,
            security_enabled_by=user,
        )
        audit.record(
            vault, Operation.VAULT_CREATED, Outcome.ALLOWED, user=user, alert=False
        )
    return vault


def enable_security_settings(vault, user, mfa_answer, client_address=None):
    """Turn security settings on for good; needs an MFA answer and an admin."""
    require_verified(user)
    require_role(user, vault, (Role.ADMIN,))
    if mfa_answer not in MfaAnswer.values:
        raise OperationRefused(MFA_ANSWER_REQUIRED)
    if mfa_answer == MfaAnswer.YES and not has_authenticator_app(user):
        raise OperationRefused(MFA_NOT_SET_UP)
    with transaction.atomic():
        locked = Vault.objects.select_for_update().get(pk=vault.pk)
        if locked.security_settings_enabled:
            return locked
        locked.security_settings_enabled = True
        locked.security_enabled_at = timezone.now()
        locked.security_enabled_by = user
        locked.mfa_answer = mfa_answer
        locked.save()
        audit.record(
            locked,
            Operation.SECURITY_ENABLED,
            Outcome.ALLOWED,
            user=user,
            detail=f"MFA configured: {locked.get_mfa_answer_display()}",
            client_address=client_address,
        )
    return locked


def refuse_disabling_security_settings(vault, user=None, label="", client_address=None):
    """Record a refused attempt to turn security settings off, then refuse it."""
    if not vault.security_settings_enabled:
        return
    with transaction.atomic():
        audit.record(
            vault,
            Operation.SECURITY_DISABLE_REFUSED,
            Outcome.REFUSED,
            user=user,
            label=label,
            error_code=SECURITY_CANNOT_BE_DISABLED.code,
            client_address=client_address,
        )
    raise OperationRefused(SECURITY_CANNOT_BE_DISABLED)
