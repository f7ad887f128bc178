"""Background work of the procedures module (queued by the daily maintenance through the manifest)."""

from django_tasks import task

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope


@task()
def expire_drafts(municipality_id: int) -> dict[str, int]:
    """Tell applicants about drafts that will soon be deleted, and delete the expired ones."""
    from .journey import drafts_expire

    municipality = Municipality.objects.get(pk=municipality_id)
    with municipality_scope(municipality):
        outcome = drafts_expire(municipality=municipality)
    return {"noticed": outcome.noticed, "deleted": outcome.deleted}
