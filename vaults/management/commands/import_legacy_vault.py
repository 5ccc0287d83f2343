"""Add a vault that existed before security settings; they start off."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vaults.forms import validate_vault_name
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
        try:
            name = validate_vault_name(name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
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
