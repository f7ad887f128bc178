"""Compare each payment provider's transactions with Madoguchi's payments and report every mismatch.

    python -m madoguchi payments_reconcile [--municipality SLUG] [--from 2026-04-01] [--to 2026-05-01]
                                           [--fail-on-mismatch]

The period defaults to the last 24 hours; dates are Japan time, --to is exclusive. Nothing is changed: a
person decides what each mismatch needs (a refund, a manual fulfilment). Each run is audited.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from madoguchi.core.dates import parse_date
from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope
from madoguchi.payments.services import payments_reconcile


class Command(BaseCommand):
    help = "Report differences between payment providers' transactions and Madoguchi's payments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", help="slug of one municipality (default: every active one)")
        parser.add_argument("--from", dest="start", help="first day (YYYY-MM-DD or 和暦), Japan time")
        parser.add_argument("--to", dest="end", help="day after the last one (exclusive)")
        parser.add_argument("--fail-on-mismatch", action="store_true", help="exit with status 1 when any is found")

    def _day(self, value: str) -> datetime.datetime:
        try:
            day = parse_date(value)
        except ValueError as exc:
            raise CommandError(f"Not a date: {value!r} ({exc})") from exc
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())

    def handle(self, *args: Any, **options: Any) -> None:
        end = self._day(options["end"]) if options["end"] else timezone.now()
        start = self._day(options["start"]) if options["start"] else end - datetime.timedelta(days=1)
        if start >= end:
            raise CommandError("--from must be before --to.")
        municipalities = Municipality.objects.filter(is_active=True).order_by("code")
        if options["municipality"]:
            municipalities = municipalities.filter(slug=options["municipality"])
            if not municipalities.exists():
                raise CommandError(f"No active municipality {options['municipality']!r}.")
        total = 0
        for municipality in municipalities:
            with municipality_scope(municipality):
                mismatches = payments_reconcile(municipality=municipality, start=start, end=end)
            for item in mismatches:
                self.stdout.write(
                    f"{municipality.slug}\t{item.kind}\t{item.adapter}\t{item.reference}\t"
                    f"payment={item.payment or '-'}\tours={item.ours}\ttheirs={item.theirs}"
                )
            total += len(mismatches)
        self.stdout.write(f"{total} mismatch(es) from {start.isoformat()} to {end.isoformat()}.")
        if total and options["fail_on_mismatch"]:
            raise SystemExit(1)
