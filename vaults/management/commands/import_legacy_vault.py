"""Add a vault that existed before security settings; they start off."""

from django.core.management.base import BaseCommand, CommandError

from vaults.forms import VAULT_NAME
from vaults.models import Region, Subscription, Vault


class Command(BaseCommand):
    help = "Import a vault created before security settings existed."

    def add_arguments(self, parser):
        parser.add_argument("subscription")
        parser.add_argument("name")
        parser.add_argument(
            "--region", default=Region.WEST_EUROPE, choices=Region.values
        )

    def handle(self, subscription, name, region, **options):
        found = Subscription.objects.filter(name=subscription).first()
        if found is None:
            raise CommandError(f"No subscription named {subscription!r}.")
        if not VAULT_NAME.fullmatch(name):
            raise CommandError(
                "A vault name has 2 to 50 letters, digits and hyphens, "
                "starting with a letter."
            )
        if Vault.objects.filter(subscription=found, name__iexact=name).exists():
            raise CommandError(f"{subscription} already has a vault named {name}.")
        vault = Vault.objects.create(
            subscription=found,
            name=name,
            region=region,
            created_before_security_features=True,
            security_settings_enabled=False,
        )
        self.stdout.write(f"Imported {vault.name}; its security settings are off.")
