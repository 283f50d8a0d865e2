"""Prints the current two-factor code of the demo staff (seed_demo gives them an authenticator
with the documented demo key). Refuses any other device: it cannot reveal a real one's code."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.management.commands.seed_demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current sign-in code of the demo staff (demo key only)."

    def handle(self, *args, **options):
        device = TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).first()
        if device is None:
            raise CommandError("No demo authenticator: run seed_demo first.")
        value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{value:0{device.digits}d}")
