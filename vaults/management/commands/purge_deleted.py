"""Purge soft-deleted items now, optionally as if the clock were later.

Moving the clock forward is for demos and tests: it refuses to run with
DEBUG off unless told it is intended.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vaults.soft_delete import items_due_for_purge, purge_due_items


class Command(BaseCommand):
    help = "Purge deleted backup data whose 14 days are over."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=0,
            help="Act as if the clock were this many days later (demos only).",
        )
        parser.add_argument(
            "--allow-clock-shift",
            action="store_true",
            help="Allow --days-ahead with DEBUG off.",
        )

    def handle(self, days_ahead, allow_clock_shift, **options):
        if days_ahead < 0:
            raise CommandError("--days-ahead cannot be negative.")
        if days_ahead and not settings.DEBUG and not allow_clock_shift:
            raise CommandError(
                "Moving the purge clock deletes data early; it is for demos. "
                "Add --allow-clock-shift if that is what you want."
            )
        now = timezone.now() + timedelta(days=days_ahead)
        due = items_due_for_purge(now).count()
        purged = purge_due_items(now)
        self.stdout.write(
            f"{purged} of {due} due item(s) purged as of {now:%Y-%m-%d %H:%M} UTC."
        )
