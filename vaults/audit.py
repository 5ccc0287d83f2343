"""The audit trail of critical operations, and the alert each one raises."""

import logging

from django.db import transaction

from vaults.models import AuditEvent, Outcome

logger = logging.getLogger(__name__)


def server_label(server):
    """Name a registered server as the audit trail's actor."""
    return f"server {server.name}"[:150]


def actor_label_for(user):
    return user.get_username() if user is not None else "system"


def record(
    vault,
    operation,
    outcome,
    *,
    user=None,
    label="",
    error_code="",
    detail="",
    client_address=None,
    alert=True,
):
    """Write an audit event and queue its alert in the caller's transaction."""
    from vaults.alerts import queue_alert

    event = AuditEvent.objects.create(
        vault=vault,
        actor=user,
        actor_label=label or actor_label_for(user),
        operation=operation,
        outcome=outcome,
        error_code=error_code,
        detail=detail,
        client_address=client_address,
    )
    log = logger.warning if outcome == Outcome.REFUSED else logger.info
    log(
        "critical operation vault=%s operation=%s outcome=%s actor=%s code=%s",
        vault.pk if vault else "-",
        operation,
        outcome,
        event.actor_label,
        error_code or "-",
    )
    if alert and vault is not None:
        queue_alert(event)
    return event


def record_refusal(vault, operation, entry, **fields):
    """Record a refused critical operation and queue its alert, committed now."""
    with transaction.atomic():
        return record(
            vault, operation, Outcome.REFUSED, error_code=entry.code, **fields
        )
