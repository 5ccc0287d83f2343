"""Stop protection, keep deleted backup data 14 days, recover it, purge it.

Part of the rule layer: the portal, the agent API and the periodic purge all
call these functions.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vaults import audit, reclaim
from vaults.access import authorise, require_role, require_verified
from vaults.errors import (
    ITEM_NOT_DELETED,
    ITEM_NOT_PROTECTABLE,
    PIN_INCORRECT,
    OperationRefused,
)
from vaults.models import (
    ItemState,
    Operation,
    Outcome,
    ProtectedItem,
    RecoveryPoint,
    Role,
    ServerKind,
)

logger = logging.getLogger(__name__)

# The reference exempts these kinds from the PIN for this operation.
KINDS_WITHOUT_PIN_FOR_DELETE = {ServerKind.BACKUP_SERVER, ServerKind.DPM}


def retention_period():
    return timedelta(days=settings.STRONGROOM["SOFT_DELETE_DAYS"])


def purge_time_for(deleted_at):
    """Return when deleted data may go: never before 14 days by any clock.

    Fourteen days of real hours and fourteen days on the wall clock of the
    portal's time zone differ by an hour across a daylight-saving change;
    the later of the two is never early by either reading.
    """
    period = retention_period()
    by_hours = deleted_at + period
    by_wall_clock = timezone.localtime(deleted_at) + period
    return max(by_hours, by_wall_clock)


def needs_pin_to_delete(server):
    vault = server.vault
    return vault.security_settings_enabled and server.kind not in (
        KINDS_WITHOUT_PIN_FOR_DELETE
    )


def stop_protection_from_server(
    item, *, delete_data, raw_pin=None, client_address=None
):
    """Stop protecting an item at its own server's request."""
    from vaults.rules import spend_pin

    server = item.server
    vault = server.vault
    if delete_data and needs_pin_to_delete(server):
        try:
            spend_pin(
                vault,
                raw_pin,
                label=audit.server_label(server),
                client_address=client_address,
            )
        except OperationRefused as refusal:
            audit.record(
                vault,
                Operation.STOP_PROTECTION_DELETE,
                Outcome.REFUSED,
                label=audit.server_label(server),
                error_code=PIN_INCORRECT.code,
                detail=f"{item.source} on {server.name}: wrong or expired PIN",
                client_address=client_address,
            )
            raise refusal
    return _stop(item, delete_data, audit.server_label(server), None, client_address)


def stop_protection_from_portal(item, user, *, delete_data, client_address=None):
    """Stop protecting an item at an administrator's request in the portal."""
    vault = item.server.vault
    if delete_data:
        authorise(
            user,
            vault,
            (Role.ADMIN,),
            Operation.STOP_PROTECTION_DELETE,
            detail=f"{item.source} on {item.server.name}",
            client_address=client_address,
        )
    else:
        require_verified(user)
        require_role(user, vault, (Role.ADMIN,))
    return _stop(item, delete_data, user.get_username(), user, client_address)


def _stop(item, delete_data, label, user, client_address):
    now = timezone.now()
    purge_now = False
    with transaction.atomic():
        item = (
            ProtectedItem.objects.select_for_update()
            .select_related("server__vault")
            .get(pk=item.pk)
        )
        vault = item.server.vault
        if item.state not in (ItemState.PROTECTED, ItemState.STOPPED):
            raise OperationRefused(ITEM_NOT_PROTECTABLE)
        if not delete_data:
            item.state = ItemState.STOPPED
            item.save(update_fields=["state"])
            return item
        item.deleted_at = now
        item.deleted_by = label
        if vault.security_settings_enabled:
            item.state = ItemState.SOFT_DELETED
            item.purge_after = purge_time_for(now)
            detail = (
                f"{item.source} on {item.server.name}: kept until "
                f"{item.purge_after:%Y-%m-%d %H:%M} UTC"
            )
        else:
            item.state = ItemState.STOPPED
            purge_now = True
            detail = f"{item.source} on {item.server.name}: deleted at once"
        item.save(update_fields=["state", "deleted_at", "deleted_by", "purge_after"])
        audit.record(
            vault,
            Operation.STOP_PROTECTION_DELETE,
            Outcome.ALLOWED,
            user=user,
            label=label,
            detail=detail,
            client_address=client_address,
        )
    if purge_now:
        # With security settings off nothing is kept: the data goes now.
        purge_item(item, reason="security settings off", alert=False)
        item.refresh_from_db()
    return item


def undelete(item, user, client_address=None):
    """Bring a soft-deleted item back to stopped, with all its points."""
    vault = item.server.vault
    authorise(
        user,
        vault,
        (Role.ADMIN,),
        Operation.DATA_RECOVERED,
        detail=f"{item.source} on {item.server.name}: undelete",
        client_address=client_address,
    )
    with transaction.atomic():
        item = ProtectedItem.objects.select_for_update().get(pk=item.pk)
        if item.state != ItemState.SOFT_DELETED:
            raise OperationRefused(ITEM_NOT_DELETED)
        item.state = ItemState.STOPPED
        item.deleted_at = None
        item.purge_after = None
        item.deleted_by = ""
        item.save(update_fields=["state", "deleted_at", "purge_after", "deleted_by"])
        audit.record(
            vault,
            Operation.DATA_RECOVERED,
            Outcome.ALLOWED,
            user=user,
            detail=f"{item.source} on {item.server.name}: undeleted",
            client_address=client_address,
        )
    return item


def record_recovery_elsewhere(item, server, point, client_address=None):
    """Audit a restore of a soft-deleted item's point by another server."""
    audit.record(
        item.server.vault,
        Operation.DATA_RECOVERED,
        Outcome.ALLOWED,
        label=audit.server_label(server),
        detail=f"{item.source} of {item.server.name}, point {point.pk}, "
        f"restored on {server.name}",
        client_address=client_address,
    )


def purge_item(item, *, reason="14 days after deletion", alert=True):
    """Remove an item's points and every chunk no other point needs."""
    with transaction.atomic():
        item = (
            ProtectedItem.objects.select_for_update()
            .select_related("server__vault")
            .filter(pk=item.pk)
            .first()
        )
        if item is None or item.state == ItemState.PURGED:
            return 0
        vault = item.server.vault
        point_count, chunk_count = reclaim.delete_points(
            RecoveryPoint.objects.filter(item=item)
        )
        item.state = ItemState.PURGED
        item.save(update_fields=["state"])
        if alert:
            audit.record(
                vault,
                Operation.DATA_PURGED,
                Outcome.ALLOWED,
                label="system",
                detail=f"{item.source} on {item.server.name}: {point_count} "
                f"recovery points purged ({reason})",
            )
    logger.info(
        "purge vault=%s item=%s points=%d chunks=%d reason=%s",
        vault.pk,
        item.pk,
        point_count,
        chunk_count,
        reason,
    )
    return point_count


def items_due_for_purge(now=None):
    now = now or timezone.now()
    return ProtectedItem.objects.filter(
        state=ItemState.SOFT_DELETED, purge_after__lte=now
    ).order_by("purge_after")


def purge_due_items(now=None, limit=500):
    """Purge soft-deleted items whose time is up; return how many."""
    purged = 0
    for item in items_due_for_purge(now)[:limit]:
        with transaction.atomic():
            # skip_locked lets two purges run at once without waiting on or
            # purging the same item twice.
            claimed = (
                ProtectedItem.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=item.pk,
                    state=ItemState.SOFT_DELETED,
                    purge_after__lte=now or timezone.now(),
                )
                .first()
            )
            if claimed is None:
                continue
            purge_item(claimed)
            purged += 1
    return purged
