from typing import Any

from django.core.management.base import BaseCommand

from madoguchi.core.models import Municipality

from ...tasks import prune_audit_events


class Command(BaseCommand):
    help = "Queue the audit-log retention task for every municipality (run daily, e.g. from cron or a timer)."

    def handle(self, *args: Any, **options: Any) -> None:
        for municipality_id in Municipality.objects.values_list("pk", flat=True):
            prune_audit_events.enqueue(municipality_id)
        self.stdout.write("Queued audit retention for every municipality.")
