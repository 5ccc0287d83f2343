"""Figures for a vault's Overview blade, each in one query however many rows."""

from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q

from vaults.models import ItemState, ProtectedItem, RecoveryPoint
from vaults.versions import meets_minimum

RECENT_ALERTS = 5


@dataclass
class ServerSummary:
    total: int = 0
    below_minimum: int = 0


@dataclass
class VaultSummary:
    protected: int = 0
    stopped: int = 0
    soft_deleted: int = 0
    next_purge_at: object = None
    latest_point_at: object = None
    servers: ServerSummary = field(default_factory=ServerSummary)
    policies: int = 0
    recent_alerts: list = field(default_factory=list)


def item_counts(vault):
    """Count the vault's backup items by state and find the next purge."""
    return ProtectedItem.objects.filter(server__vault=vault).aggregate(
        protected=Count("pk", filter=Q(state=ItemState.PROTECTED)),
        stopped=Count("pk", filter=Q(state=ItemState.STOPPED)),
        soft_deleted=Count("pk", filter=Q(state=ItemState.SOFT_DELETED)),
        next_purge_at=Min("purge_after", filter=Q(state=ItemState.SOFT_DELETED)),
    )


def latest_point_at(vault):
    points = RecoveryPoint.objects.filter(item__server__vault=vault)
    return points.aggregate(latest=Max("taken_at"))["latest"]


def server_summary(vault):
    """Count servers, and those below the minimum version for security features."""
    # The minimum is decided by parsing version text, which SQL cannot do, so
    # the database groups servers by version and Python judges each group:
    # the rows fetched grow with distinct versions, not with servers.
    versions = (
        vault.servers.order_by()
        .values("kind", "agent_version", "product_version")
        .annotate(servers=Count("pk"))
    )
    summary = ServerSummary()
    for group in versions:
        summary.total += group["servers"]
        if not meets_minimum(
            group["kind"], group["agent_version"], group["product_version"]
        ):
            summary.below_minimum += group["servers"]
    return summary


def recent_alerts(vault):
    alerts = vault.notifications.select_related("event")
    return list(alerts.order_by("-created_at", "-id")[:RECENT_ALERTS])


def summarize(vault):
    return VaultSummary(
        **item_counts(vault),
        latest_point_at=latest_point_at(vault),
        servers=server_summary(vault),
        policies=vault.policies.count(),
        recent_alerts=recent_alerts(vault),
    )
