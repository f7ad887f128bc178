"""Background work: regenerate a municipality's live datasets whose source data changed."""

from __future__ import annotations

from django_tasks import task

from madoguchi.core.tenancy import municipality_scope


@task()
def refresh_live_datasets(municipality_id: int) -> int:
    """Rebuild each live dataset of the municipality whose provider reports newer data; the count rebuilt."""
    from .models import Dataset
    from .services import live_dataset_regenerate

    rebuilt = 0
    with municipality_scope(municipality_id):
        for dataset in Dataset.objects.filter(municipality_id=municipality_id).exclude(provider_key=""):
            rebuilt += int(live_dataset_regenerate(dataset=dataset))
    return rebuilt
