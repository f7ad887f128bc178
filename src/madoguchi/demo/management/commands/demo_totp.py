from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from madoguchi.demo.data import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo staff accounts (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Not available in production.")
        self.stdout.write(pyotp.TOTP(DEMO_TOTP_SECRET).now())
