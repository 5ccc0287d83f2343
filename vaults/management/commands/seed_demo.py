"""Load the demo data; running it again changes nothing."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import second_factor
from vaults import rules
from vaults.models import (
    BackupPolicy,
    Membership,
    RegisteredServer,
    Role,
    ServerKind,
    Subscription,
    Vault,
)

DEMO_USER = "admin"
DEMO_PASSWORD = "strongroom-demo"
DEMO_SERVERS = [
    ("fileserver-01", ServerKind.AGENT, "2.0.9145", ""),
    ("oldserver", ServerKind.AGENT, "2.0.9000", ""),
    ("mabs-01", ServerKind.BACKUP_SERVER, "2.0.9052", "Update 1"),
    ("mabs-legacy", ServerKind.BACKUP_SERVER, "2.0.9052", "Update 0"),
    ("dpm-2012", ServerKind.DPM, "2.0.9052", "2012 R2 UR11"),
    ("dpm-2016", ServerKind.DPM, "2.0.9060", "2016 UR2"),
]


class Command(BaseCommand):
    help = "Create the demo administrator, subscription, vaults and servers."

    def handle(self, *args, **options):
        with transaction.atomic():
            user = self.demo_user()
            subscription, _ = Subscription.objects.get_or_create(
                name="Contoso Production"
            )
            Membership.objects.get_or_create(
                user=user, subscription=subscription, defaults={"role": Role.ADMIN}
            )
            vault = self.vault(subscription, "contoso-vault", legacy=False)
            legacy_vault = self.vault(subscription, "legacy-vault", legacy=True)
            # The demo journey protects a folder of the legacy vault too.
            self.policy(vault)
            self.policy(legacy_vault)
            self.servers(vault)
            device = self.device(user)
            codes = self.backup_codes(user)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  Sign in at http://127.0.0.1:8000/",
                    f"    user name:         {DEMO_USER}",
                    f"    password:          {DEMO_PASSWORD}",
                    f"    authenticator key: {second_factor.totp_key_text(device)}",
                    f"    backup codes:      {', '.join(codes[:3]) or 'none left'}",
                    "  No authenticator app at hand? `make demo-code` prints the "
                    "current code.",
                    "",
                ]
            )
        )

    def demo_user(self):
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USER,
            defaults={
                "email": "admin@contoso.example",
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def vault(self, subscription, name, legacy):
        vault = Vault.objects.filter(subscription=subscription, name=name).first()
        if vault is None:
            vault = Vault.objects.create(
                subscription=subscription,
                name=name,
                created_before_security_features=legacy,
                security_settings_enabled=not legacy,
            )
        return vault

    def policy(self, vault):
        BackupPolicy.objects.get_or_create(vault=vault, name=rules.DEFAULT_POLICY)

    def servers(self, vault):
        for name, kind, agent_version, product_version in DEMO_SERVERS:
            # Demo servers never talk to the API, so their credential is a
            # random value nobody knows.
            RegisteredServer.objects.get_or_create(
                vault=vault,
                name=name,
                defaults={
                    "kind": kind,
                    "agent_version": agent_version,
                    "product_version": product_version,
                    "credential_hash": hashlib.sha256(
                        secrets.token_bytes(32)
                    ).hexdigest(),
                },
            )

    def device(self, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name="Demo authenticator", confirmed=True
            )
        return device

    def backup_codes(self, user):
        # The database keeps only hashes. So that every `make run` can print
        # the demo administrator's unused codes without making new ones, the
        # demo alone keeps its codes in a private file beside the embedded
        # secret key.
        path = settings.VAR_DIR / "demo-backup-codes"
        if path.exists():
            unused = [
                code
                for code in path.read_text().split()
                if StaticToken.objects.filter(
                    device__user=user, token=second_factor.hash_backup_code(code)
                ).exists()
            ]
            if unused:
                return unused
        codes = second_factor.regenerate_backup_codes(user)
        path.write_text("\n".join(codes) + "\n")
        path.chmod(0o600)
        return codes
