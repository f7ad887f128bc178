"""KPI providers (manifest `kpi_providers`): datasets published, standard datasets covered (x of 31),
datasets updated in the 年度, downloads in the 年度."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality

from .models import Dataset, DownloadCount, Resource
from .standards import TOTAL_STANDARD_DATASETS


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    value: float | int | None
    unit: str
    target: int | None = None


def _bounds(fiscal_year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return datetime.datetime(fiscal_year, 4, 1, tzinfo=tz), datetime.datetime(fiscal_year + 1, 4, 1, tzinfo=tz)


def _published(municipality: Municipality) -> Any:
    return Dataset.objects.filter(municipality=municipality, published_at__isnull=False)


def datasets_published(municipality: Municipality, *, fiscal_year: int) -> Metric:
    return Metric(
        "opendata.datasets_published", _("公開しているデータセット数"), _published(municipality).count(), "件"
    )


def standard_datasets_covered(municipality: Municipality, *, fiscal_year: int) -> Metric:
    numbers = set(_published(municipality).exclude(standard_number="").values_list("standard_number", flat=True))
    return Metric(
        "opendata.standard_covered",
        _("自治体標準オープンデータセットの公開数"),
        len(numbers),
        "件",
        TOTAL_STANDARD_DATASETS,
    )


def datasets_updated(municipality: Municipality, *, fiscal_year: int) -> Metric:
    start, end = _bounds(fiscal_year)
    latest = (
        Resource.objects.filter(dataset__in=_published(municipality))
        .values("dataset_id")
        .annotate(latest=Max("last_modified"))
        .filter(latest__gte=start, latest__lt=end)
    )
    return Metric("opendata.datasets_updated", _("年度内に更新したデータセット数"), latest.count(), "件")


def downloads(municipality: Municipality, *, fiscal_year: int) -> Metric:
    total = DownloadCount.objects.filter(municipality=municipality, fiscal_year=fiscal_year).aggregate(
        total=Sum("count")
    )["total"]
    return Metric("opendata.downloads", _("ダウンロード数"), total or 0, "回")


PROVIDERS = (datasets_published, standard_datasets_covered, datasets_updated, downloads)
