"""Expire online payments left pending (the resident never finished on the hosted page).

    python -m madoguchi payments_expire [--hours 24]

Closes each checkout at its provider and marks the payment expired, so the resident can start a new one;
窓口払い is never expired. A payment made after all on the closed checkout is still recorded (docs/payments.md).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope
from madoguchi.payments.services import payments_expire


class Command(BaseCommand):
    help = "Expire online payments that stayed pending longer than --hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24, help="age after which a pending payment expires (≥ 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["hours"] < 1:
            raise CommandError("--hours must be at least 1.")
        before = timezone.now() - datetime.timedelta(hours=options["hours"])
        total = 0
        for municipality in Municipality.objects.filter(is_active=True).order_by("code"):
            with municipality_scope(municipality):
                total += payments_expire(municipality=municipality, before=before)
        self.stdout.write(f"{total} payment(s) expired.")
