"""Live datasets: the registry's `dataset_providers` (core.registry.DatasetProvider), and the one this module
supplies itself — the オープンデータ一覧 (06) generated from the catalogue."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import Max

from madoguchi.core.models import Municipality
from madoguchi.core.registry import DatasetProvider, registry

OPENDATA_LIST_KEY = "opendata.opendata_list"


def all_providers() -> dict[str, DatasetProvider]:
    found: dict[str, DatasetProvider] = {}
    for manifest in registry.all():
        for provider in manifest.dataset_providers:
            if isinstance(provider, DatasetProvider):
                found[provider.key] = provider
    return found


def get_provider(key: str) -> DatasetProvider | None:
    return all_providers().get(key or "")


def _source_datasets(municipality: Municipality) -> Any:
    from .models import Dataset

    return Dataset.objects.filter(municipality=municipality, published_at__isnull=False).exclude(
        provider_key=OPENDATA_LIST_KEY
    )


def opendata_list_rows(municipality: Municipality) -> Iterator[dict[str, str]]:
    from .models import Frequency, Group, License, Resource

    datasets = list(_source_datasets(municipality).select_related("department").order_by("name"))
    formats: dict[int, set[str]] = {}
    last: dict[int, datetime.datetime] = {}
    for dataset_id, file_format, modified in Resource.objects.filter(dataset__in=datasets).values_list(
        "dataset_id", "format", "last_modified"
    ):
        formats.setdefault(dataset_id, set()).add(file_format)
        if modified and (dataset_id not in last or modified > last[dataset_id]):
            last[dataset_id] = modified
    from django.utils import timezone

    for dataset in datasets:
        modified = last.get(dataset.pk) or dataset.modified_at
        yield {
            "全国地方公共団体コード": municipality.code,
            "ID": dataset.name,
            "地方公共団体名": municipality.name,
            "データ名称": dataset.title,
            "データ概要": dataset.notes[:500],
            "データ形式": ";".join(sorted(formats.get(dataset.pk, set()))),
            "分類": ";".join(str(Group(group).label) for group in dataset.groups if group in Group.values) or "その他",
            "更新頻度": str(Frequency(dataset.frequency).label),
            "URL": "",
            "API対応有無": "有",
            "ライセンス": str(License(dataset.license_id).label),
            "登録日": timezone.localtime(dataset.created_at).date().isoformat(),
            "最終更新日": timezone.localtime(modified).date().isoformat(),
            "備考": "",
        }


def opendata_list_last_changed(municipality: Municipality) -> datetime.datetime | None:
    from .models import Dataset, Resource

    datasets = _source_datasets(municipality)
    dataset_time = datasets.aggregate(latest=Max("modified_at"))["latest"]
    resource_time = Resource.objects.filter(dataset__in=datasets).aggregate(latest=Max("last_modified"))["latest"]
    # An unpublished dataset leaves the list too: its change counts.
    hidden_time = Dataset.objects.filter(municipality=municipality, published_at__isnull=True).aggregate(
        latest=Max("modified_at")
    )["latest"]
    times = [t for t in (dataset_time, resource_time, hidden_time) if t is not None]
    return max(times) if times else None
