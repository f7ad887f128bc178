"""Daily housekeeping: retention of the audit log, expiry of idempotency keys, rate-limit counters of ended
windows and finished task results."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .models import IdempotencyRecord, Municipality
from .ratelimit import rate_counters_prune


def idempotency_records_prune(*, now: datetime.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@task()
def daily_maintenance() -> dict[str, int]:
    """Queue each municipality's audit retention and the modules' own housekeeping, and prune platform-wide
    leftovers. Idempotent."""
    from django.utils.module_loading import import_string

    from madoguchi.audit.services import audit_prune_platform_events
    from madoguchi.audit.tasks import prune_audit_events

    from .registry import registry

    module_tasks = [import_string(path) for manifest in registry.all() for path in manifest.maintenance_tasks]
    for municipality_id in Municipality.objects.values_list("pk", flat=True):
        prune_audit_events.enqueue(municipality_id)
        for module_task in module_tasks:
            module_task.enqueue(municipality_id)
    return {
        "platform_audit_events": audit_prune_platform_events(),
        "idempotency_records": idempotency_records_prune(),
        "rate_counters": rate_counters_prune(),
    }
