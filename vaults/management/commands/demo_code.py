"""Print the demo administrator's current one-time code, for demos only."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from vaults.management.commands.seed_demo import DEMO_USER


class Command(BaseCommand):
    help = "Print the current authenticator code of the demo administrator."

    def handle(self, *args, **options):
        device = TOTPDevice.objects.filter(
            user__username=DEMO_USER, confirmed=True
        ).first()
        if device is None:
            raise CommandError("There is no demo administrator; run seed_demo first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
