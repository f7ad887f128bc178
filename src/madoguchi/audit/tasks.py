from django_tasks import task

from madoguchi.core.models import Municipality

from .services import audit_prune_expired


@task()
def prune_audit_events(municipality_id: int) -> int:
    """Apply one municipality's audit retention period (scheduled daily by `madoguchi prune_audit`)."""
    municipality = Municipality.objects.get(pk=municipality_id)
    return audit_prune_expired(municipality=municipality)
