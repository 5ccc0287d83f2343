"""Critical operations and the rules that guard them.

Views, the agent API, admin actions and tasks call these functions; none of
them decides a security question on its own.
"""

import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vaults import audit, pins, retention
from vaults.access import (
    CHANGE_ROLES,
    require_role,
    require_verified,
    subscriptions_for_creating,
)
from vaults.errors import (
    MFA_ANSWER_REQUIRED,
    MFA_NOT_SET_UP,
    NOT_ALLOWED,
    PIN_INCORRECT,
    SECURITY_CANNOT_BE_DISABLED,
    OperationRefused,
)
from vaults.models import (
    BackupPolicy,
    MfaAnswer,
    Operation,
    Outcome,
    Role,
    SecurityPin,
    Vault,
)

DEFAULT_POLICY = "DefaultPolicy"


def has_authenticator_app(user):
    # Backup codes alone do not count: they are the fallback for a lost app,
    # not a second factor someone configured.
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def create_vault(user, subscription, name, region):
    """Create a vault with security settings on and a DefaultPolicy."""
    if not subscriptions_for_creating(user).filter(pk=subscription.pk).exists():
        raise OperationRefused(NOT_ALLOWED)
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
        # A server can be protected straight away, as the agent's own
        # examples assume, without first visiting Backup policies.
        BackupPolicy.objects.create(vault=vault, name=DEFAULT_POLICY)
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
        # A policy below the minimum would otherwise outlive the switch and
        # let an agent move items onto it.
        raised = retention.raise_to_minimum(locked)
        detail = f"MFA configured: {locked.get_mfa_answer_display()}"
        if raised:
            detail += f". Raised to the minimum retention: {', '.join(raised)}"
        audit.record(
            locked,
            Operation.SECURITY_ENABLED,
            Outcome.ALLOWED,
            user=user,
            detail=detail[:500],
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


def generate_pin(vault, user, client_address=None):
    """Issue a new security PIN for the vault, voiding any earlier unused one.

    Return the PIN's text, to be shown once, and its record.
    """
    require_verified(user)
    require_role(user, vault, CHANGE_ROLES)
    now = timezone.now()
    text = pins.new_pin_text()
    with transaction.atomic():
        SecurityPin.objects.filter(
            vault=vault, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=now)
        pin = SecurityPin.objects.create(
            vault=vault,
            generated_by=user,
            pin_hash=pins.hash_pin(vault.pk, text),
            created_at=now,
            expires_at=pins.expires_at_for(now),
        )
        audit.record(
            vault,
            Operation.PIN_GENERATED,
            Outcome.ALLOWED,
            user=user,
            client_address=client_address,
            alert=False,
        )
    return text, pin


def spend_pin(vault, raw_pin, *, label, client_address=None):
    """Accept a PIN for the vault exactly once, or refuse it with 100130.

    The caller records its own operation; this records only a PIN voided
    after too many wrong tries, which looks like someone guessing.
    """
    text = pins.normalise_pin(raw_pin)
    now = timezone.now()
    with transaction.atomic():
        current = (
            SecurityPin.objects.select_for_update()
            .filter(vault=vault, used_at__isnull=True, voided_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if current is None or not pins.is_live(current, now):
            raise OperationRefused(PIN_INCORRECT)
        matches = text is not None and hmac.compare_digest(
            current.pin_hash, pins.hash_pin(vault.pk, text)
        )
        if matches:
            current.used_at = now
            current.save(update_fields=["used_at"])
            return current
        current.failed_attempts += 1
        fields = ["failed_attempts"]
        voided = (
            current.failed_attempts >= settings.STRONGROOM["PIN_MAX_FAILED_ATTEMPTS"]
        )
        if voided:
            current.voided_at = now
            fields.append("voided_at")
        current.save(update_fields=fields)
        if voided:
            audit.record(
                vault,
                Operation.PIN_VOIDED,
                Outcome.REFUSED,
                label=label,
                error_code=PIN_INCORRECT.code,
                detail="Suspected attack: the PIN was voided after "
                f"{current.failed_attempts} wrong tries.",
                client_address=client_address,
            )
    # Raised after the block so the failed-try count and any voiding commit.
    raise OperationRefused(PIN_INCORRECT)
