from django_tasks import task

from madoguchi.core.models import Municipality

from .services import audit_prune_expired


@task()
def prune_audit_events(municipality_id: int) -> int:
    """Apply one municipality's audit retention period (queued daily by `madoguchi daily_maintenance`)."""
    municipality = Municipality.objects.get(pk=municipality_id)
    return audit_prune_expired(municipality=municipality)
