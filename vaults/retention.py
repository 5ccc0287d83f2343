"""When recovery points expire, and the periodic expiry of old points.

A point is kept for the longest of the policy's ranges that applies to it:
every point for the daily range, the first point of an ISO week for the
weekly range, the first of a month for the monthly range, the first of a
year for the yearly range (all in UTC).
"""

import calendar
import logging
from datetime import UTC, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from vaults import reclaim
from vaults.models import ItemState, RecoveryPoint

logger = logging.getLogger(__name__)

EXPIRY_BATCH = 500
# The least retention a vault with security settings on keeps, from the
# reference: 7 days daily, 4 weeks weekly, 3 months monthly, 1 year yearly.
MINIMUMS = {
    "daily_days": (7, "days"),
    "weekly_weeks": (4, "weeks"),
    "monthly_months": (3, "months"),
    "yearly_years": (1, "year"),
}


def raise_to_minimum(vault):
    """Lift the vault's policies to the minimum; return the names changed."""
    raised = []
    for policy in vault.policies.select_for_update().order_by("name"):
        fields = [f for f, (least, _) in MINIMUMS.items() if getattr(policy, f) < least]
        for field in fields:
            setattr(policy, field, MINIMUMS[field][0])
        if fields:
            policy.save(update_fields=fields)
            raised.append(policy.name)
    return raised


def add_months(moment, months):
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_for(item, policy, taken_at):
    if policy is None:
        return None
    taken = taken_at.astimezone(UTC)
    earlier = RecoveryPoint.objects.filter(item=item, taken_at__lt=taken_at)
    week_start = (taken - timedelta(days=taken.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    month_start = week_start.replace(year=taken.year, month=taken.month, day=1)
    year_start = month_start.replace(month=1)

    ends = [taken + timedelta(days=policy.daily_days)]
    if not earlier.filter(taken_at__gte=week_start).exists():
        ends.append(taken + timedelta(weeks=policy.weekly_weeks))
    if not earlier.filter(taken_at__gte=month_start).exists():
        ends.append(add_months(taken, policy.monthly_months))
    if not earlier.filter(taken_at__gte=year_start).exists():
        ends.append(add_months(taken, 12 * policy.yearly_years))
    return max(ends)


def expired_points(now=None):
    """Points past their expiry, never an item's newest, never deleted data's."""
    now = now or timezone.now()
    newest = RecoveryPoint.objects.filter(item=OuterRef("item")).order_by(
        "-taken_at", "-pk"
    )
    # Soft-deleted items keep every point for their 14 days; the purge
    # decides about them.
    return (
        RecoveryPoint.objects.filter(
            expires_at__lte=now,
            item__state__in=[ItemState.PROTECTED, ItemState.STOPPED],
        )
        .exclude(pk=Subquery(newest.values("pk")[:1]))
        .order_by("expires_at", "pk")
    )


def expire_points(now=None):
    """Delete expired points in batches; return how many went."""
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                expired_points(now).values_list("pk", flat=True)[:EXPIRY_BATCH]
            )
            if not batch:
                break
            points, chunks = reclaim.delete_points(
                RecoveryPoint.objects.filter(pk__in=batch)
            )
        total += points
        logger.info("recovery points expired points=%d chunks=%d", points, chunks)
    return total
