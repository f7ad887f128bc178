"""Writes of the open data module: datasets, resources (upload with validation, links), publishing, live
datasets from providers, download counts. Every write is audited in its own transaction."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.accounts.permissions import department_scope
from madoguchi.audit.services import audit_record
from madoguchi.core.dates import fiscal_year
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Department, Municipality
from madoguchi.core.search import fold

from . import providers
from .models import (
    NAME_PATTERN,
    RESERVED_NAMES,
    TABULAR_FORMATS,
    Dataset,
    DownloadCount,
    Frequency,
    Group,
    Resource,
    ResourceFormat,
    ResourceRow,
)
from .search_index import dataset_grams, rows_stored
from .standards import get_standard
from .validation import TableError, ValidationReport, validate_rows, validate_upload

EDITABLE_FIELDS = (
    "name",
    "title",
    "title_en",
    "notes",
    "notes_en",
    "department",
    "tags",
    "groups",
    "license_id",
    "frequency",
    "standard_number",
)
ROW_BATCH = 2000
FIELD_SEP, VALUE_SEP = "\x1f", "\x1e"  # never in a cell: the validator strips control characters
MAX_TAGS = 30


def _max_rows() -> int:
    return int(getattr(settings, "OPENDATA_MAX_ROWS", 1_000_000))


def clean_tags(value: Iterable[str] | str) -> list[str]:
    items = re.split(r"[,、，\n]", value) if isinstance(value, str) else list(value)
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split())[:100]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ServiceError("tags_too_many", _("タグは%(max)s個までにしてください。") % {"max": MAX_TAGS}, field="tags")
    if any("|" in tag for tag in tags):
        raise ServiceError("tags_invalid", _("タグに「|」は使えません。"), field="tags")
    return tags


def refresh_search_fields(dataset: Dataset) -> None:
    """The folded search text, its grams and the "|a|b|" filter keys (called before every save)."""
    names = list(dataset.resources.values_list("name", flat=True)) if dataset.pk else []
    formats = sorted(set(dataset.resources.values_list("format", flat=True))) if dataset.pk else []
    dataset.title_search = fold(f"{dataset.title} {dataset.title_en}")[:200]
    dataset.search_text = fold(
        "\n".join([dataset.title, dataset.title_en, dataset.notes, dataset.notes_en, *dataset.tags, *names])
    )
    dataset.search_grams = dataset_grams(dataset.search_text)
    dataset.tags_key = "|" + "|".join(dataset.tags) + "|" if dataset.tags else ""
    dataset.groups_key = "|" + "|".join(dataset.groups) + "|" if dataset.groups else ""
    dataset.formats_key = "|" + "|".join(f.upper() for f in formats) + "|" if formats else ""


def _check_data(municipality: Municipality, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    name = str(data.get("name", "")).strip()
    if not re.fullmatch(NAME_PATTERN, name) or name in RESERVED_NAMES:
        raise ServiceError(
            "name_invalid",
            _("識別名は英小文字・数字・「-」「_」の2〜100文字にしてください（new・edit・search は使えません）。"),
            field="name",
        )
    data["name"] = name
    department = data.get("department")
    if department is not None and (
        not isinstance(department, Department) or department.municipality_id != municipality.pk
    ):
        raise ServiceError("department_invalid", _("担当課を選び直してください。"), field="department")
    scope = department_scope(actor, municipality)
    if scope is not None and (department is None or department.pk not in scope):
        raise ServiceError("department_forbidden", _("自分の課のデータセットだけを扱えます。"), field="department")
    data["tags"] = clean_tags(data.get("tags") or [])
    groups = list(data.get("groups") or [])
    if any(group not in Group.values for group in groups):
        raise ServiceError("groups_invalid", _("分類を選び直してください。"), field="groups")
    data["groups"] = groups
    number = data.get("standard_number") or ""
    if number and get_standard(number) is None:
        raise ServiceError(
            "standard_invalid", _("自治体標準オープンデータセットを選び直してください。"), field="standard_number"
        )
    data["standard_number"] = number
    return data


@transaction.atomic
def dataset_save(
    *, municipality: Municipality, actor: Any, data: dict[str, Any], dataset: Dataset | None = None, request: Any = None
) -> Dataset:
    data = _check_data(municipality, actor, data)
    taken = Dataset.objects.filter(municipality=municipality, name=data["name"])
    if dataset is not None:
        taken = taken.exclude(pk=dataset.pk)
    if taken.exists():
        raise ServiceError("name_taken", _("この識別名はすでに使われています。"), field="name")
    creating = dataset is None
    if dataset is None:
        dataset = Dataset(municipality=municipality, created_by=actor if getattr(actor, "pk", None) else None)
    elif dataset.provider_key and data["standard_number"] != dataset.standard_number:
        raise ServiceError(
            "standard_fixed", _("自動生成のデータセットの標準は変えられません。"), field="standard_number"
        )
    for key in EDITABLE_FIELDS:
        if key in data:
            setattr(dataset, key, data[key])
    refresh_search_fields(dataset)
    full_clean_or_refuse(dataset)
    dataset.save()
    audit_record(
        action="opendata.dataset_created" if creating else "opendata.dataset_updated",
        actor=actor,
        municipality=municipality,
        object_type="opendata.dataset",
        object_id=str(dataset.public_id),
        details={"name": dataset.name},
        request=request,
    )
    _catalogue_changed(municipality)
    return dataset


def filter_text(values: list[str]) -> str:
    return FIELD_SEP + "".join(f"{index}{VALUE_SEP}{value}{FIELD_SEP}" for index, value in enumerate(values) if value)


def _store_rows(resource: Resource, rows: list[dict[str, str]]) -> None:
    ResourceRow.objects.filter(resource=resource).delete()
    batch: list[ResourceRow] = []
    columns = list(resource.columns)
    for number, row in enumerate(rows, start=1):
        values = [row.get(name, "") for name in columns]
        batch.append(
            ResourceRow(
                municipality_id=resource.municipality_id,
                resource=resource,
                number=number,
                values=values,
                search_text=fold(" ".join(value for value in values if value)),
                filter_text=filter_text(values),
            )
        )
        if len(batch) >= ROW_BATCH:
            ResourceRow.objects.bulk_create(batch)
            batch = []
    if batch:
        ResourceRow.objects.bulk_create(batch)
    rows_stored(resource)


def _apply_report(resource: Resource, report: ValidationReport) -> None:
    resource.columns = report.columns
    resource.row_count = len(report.rows)
    resource.encoding = report.encoding
    resource.conforms = report.conforms
    resource.error_count = report.error_count
    resource.problems = [problem.as_dict() for problem in report.problems]


@transaction.atomic
def resource_upload(
    *,
    dataset: Dataset,
    actor: Any,
    name: str,
    description: str,
    raw: bytes,
    filename: str,
    resource: Resource | None = None,
    request: Any = None,
) -> tuple[Resource, ValidationReport | None]:
    """Store an uploaded file. CSV and XLSX are read, validated against the dataset's standard (when it has
    one) and kept as rows; other formats are kept as they are. A replacement keeps the resource's id."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    formats = {
        "csv": ResourceFormat.CSV,
        "xlsx": ResourceFormat.XLSX,
        "json": ResourceFormat.JSON,
        "geojson": ResourceFormat.GEOJSON,
        "pdf": ResourceFormat.PDF,
    }
    if extension not in formats:
        raise ServiceError(
            "format_invalid", _("CSV・XLSX・JSON・GeoJSON・PDF のファイルを選んでください。"), field="file"
        )
    file_format = formats[extension]
    if not raw:
        raise ServiceError("file_empty", _("ファイルが空です。"), field="file")
    if file_format == ResourceFormat.PDF and not raw.startswith(b"%PDF-"):
        raise ServiceError("format_invalid", _("PDF ファイルではありません。"), field="file")
    report: ValidationReport | None = None
    if file_format in TABULAR_FORMATS:
        try:
            report = validate_upload(raw, filename, get_standard(dataset.standard_number), max_rows=_max_rows())
        except TableError as exc:
            raise ServiceError("table_unreadable", str(exc), field="file") from exc
    elif file_format in (ResourceFormat.JSON, ResourceFormat.GEOJSON):
        import json

        try:
            json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ServiceError("json_invalid", _("JSON として読めませんでした。"), field="file") from exc
    creating = resource is None
    if resource is None:
        resource = Resource(municipality=dataset.municipality, dataset=dataset, position=dataset.resources.count())
    resource.name = (name or "").strip() or filename[:200]
    resource.description = description or ""
    resource.format = file_format
    resource.url = ""
    resource.filename = filename[:200]
    resource.size = len(raw)
    resource.hash = hashlib.sha256(raw).hexdigest()
    resource.last_modified = timezone.now()
    resource.content = b"" if report is not None else raw
    if report is not None:
        _apply_report(resource, report)
    else:
        resource.columns, resource.row_count, resource.conforms, resource.error_count, resource.problems = (
            [],
            0,
            True,
            0,
            [],
        )
    full_clean_or_refuse(resource)
    resource.save()
    if report is not None:
        _store_rows(resource, report.rows)
    refresh_search_fields(dataset)
    dataset.save()
    audit_record(
        action="opendata.resource_uploaded" if creating else "opendata.resource_replaced",
        actor=actor,
        municipality=dataset.municipality,
        object_type="opendata.resource",
        object_id=str(resource.public_id),
        details={
            "dataset": dataset.name,
            "format": file_format,
            "rows": resource.row_count,
            "errors": resource.error_count,
        },
        request=request,
    )
    _catalogue_changed(dataset.municipality)
    return resource, report


@transaction.atomic
def resource_link_add(
    *, dataset: Dataset, actor: Any, name: str, url: str, description: str = "", request: Any = None
) -> Resource:
    if not re.fullmatch(r"https?://[^\s]{1,490}", url or ""):
        raise ServiceError("url_invalid", _("http:// か https:// で始まる URL を入力してください。"), field="url")
    resource = Resource(
        municipality=dataset.municipality,
        dataset=dataset,
        name=(name or "").strip()[:200] or url[:200],
        description=description or "",
        format=ResourceFormat.URL,
        url=url,
        position=dataset.resources.count(),
        last_modified=timezone.now(),
    )
    full_clean_or_refuse(resource)
    resource.save()
    refresh_search_fields(dataset)
    dataset.save()
    audit_record(
        action="opendata.resource_linked",
        actor=actor,
        municipality=dataset.municipality,
        object_type="opendata.resource",
        object_id=str(resource.public_id),
        details={"dataset": dataset.name, "url": url},
        request=request,
    )
    return resource


@transaction.atomic
def resource_delete(*, resource: Resource, actor: Any, request: Any = None) -> None:
    dataset = resource.dataset
    public_id = str(resource.public_id)
    resource.delete()
    refresh_search_fields(dataset)
    dataset.save()
    audit_record(
        action="opendata.resource_deleted",
        actor=actor,
        municipality=dataset.municipality,
        object_type="opendata.resource",
        object_id=public_id,
        details={"dataset": dataset.name},
        request=request,
    )
    _catalogue_changed(dataset.municipality)


@transaction.atomic
def dataset_publish(*, dataset: Dataset, actor: Any, nonconforming: bool = False, request: Any = None) -> Dataset:
    """Publish. A standard dataset whose tabular resources do not conform is refused, unless staff publish it
    explicitly as non-conforming (recorded on the dataset and in the audit log)."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    resources = list(dataset.resources.all().defer("content"))
    if not resources:
        raise ServiceError("no_resources", _("リソースを1つ以上登録してから公開してください。"))
    failing = [r for r in resources if r.is_tabular and not r.conforms]
    if dataset.standard_number and failing and not nonconforming:
        raise ServiceError(
            "nonconforming",
            _(
                "「%(name)s」に標準に適合しない箇所が%(count)s件あります。直してから公開するか、「標準に適合しないまま公開する」を選んでください。"
            )
            % {"name": failing[0].name, "count": sum(r.error_count for r in failing)},
            field="nonconforming",
            status=409,
        )
    was_published = dataset.published_at is not None
    dataset.published_at = dataset.published_at or timezone.now()
    dataset.nonconforming_published = bool(dataset.standard_number and failing)
    dataset.save(update_fields=["published_at", "nonconforming_published", "modified_at"])
    audit_record(
        action="opendata.dataset_published",
        actor=actor,
        municipality=dataset.municipality,
        object_type="opendata.dataset",
        object_id=str(dataset.public_id),
        details={"name": dataset.name, "nonconforming": dataset.nonconforming_published, "again": was_published},
        request=request,
    )
    _catalogue_changed(dataset.municipality)
    return dataset


@transaction.atomic
def dataset_unpublish(*, dataset: Dataset, actor: Any, request: Any = None) -> Dataset:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.published_at is not None:
        dataset.published_at = None
        dataset.nonconforming_published = False
        dataset.save(update_fields=["published_at", "nonconforming_published", "modified_at"])
        audit_record(
            action="opendata.dataset_unpublished",
            actor=actor,
            municipality=dataset.municipality,
            object_type="opendata.dataset",
            object_id=str(dataset.public_id),
            details={"name": dataset.name},
            request=request,
        )
        _catalogue_changed(dataset.municipality)
    return dataset


def download_record(*, resource: Resource) -> None:
    """Count one download in the current 年度 (public data: counted, not audited per download)."""
    year = fiscal_year(timezone.localdate())
    updated = DownloadCount.objects.filter(resource=resource, fiscal_year=year).update(count=F("count") + 1)
    if not updated:
        with transaction.atomic():
            counter, created = DownloadCount.objects.get_or_create(
                municipality_id=resource.municipality_id, resource=resource, fiscal_year=year, defaults={"count": 1}
            )
            if not created:
                DownloadCount.objects.filter(pk=counter.pk).update(count=F("count") + 1)


# --- live datasets -------------------------------------------------------------------------------------


@transaction.atomic
def live_dataset_create(*, municipality: Municipality, actor: Any, provider_key: str, request: Any = None) -> Dataset:
    """A dataset generated from a provider's data (one per provider and municipality), regenerated now."""
    provider = providers.get_provider(provider_key)
    if provider is None:
        raise ServiceError("provider_invalid", _("自動生成の元データを選び直してください。"), field="provider_key")
    existing = Dataset.objects.filter(municipality=municipality, provider_key=provider_key).first()
    if existing is not None:
        return existing
    standard = get_standard(provider.standard)
    if standard is None:
        raise ServiceError("provider_invalid", _("自動生成の元データを選び直してください。"), field="provider_key")
    scope = department_scope(actor, municipality)
    department = None
    if scope is not None:
        department = Department.objects.filter(municipality=municipality, pk__in=scope).first()
    name = re.sub(r"[^a-z0-9_-]", "-", (provider.english_id or standard.english_id).lower())
    if Dataset.objects.filter(municipality=municipality, name=name).exists():
        name = f"{name}-live"
    dataset = dataset_save(
        municipality=municipality,
        actor=actor,
        request=request,
        data={
            "name": name,
            "title": str(provider.title),
            "notes": _(
                "%(municipality)sの%(standard)s（自治体標準オープンデータセット %(number)s）。元のデータが変わると自動で作り直されます。"
            )
            % {"municipality": municipality.name, "standard": standard.name, "number": standard.number},
            "department": department,
            "tags": [standard.name],
            "groups": [],
            "license_id": "cc-by-4.0",
            "frequency": Frequency.LIVE,
            "standard_number": standard.number,
        },
    )
    dataset.provider_key = provider_key
    dataset.save(update_fields=["provider_key"])
    live_dataset_regenerate(dataset=dataset, force=True)
    return dataset


@transaction.atomic
def live_dataset_regenerate(*, dataset: Dataset, force: bool = False) -> bool:
    """Rebuild the dataset's CSV resource from its provider when the source changed since the last build.
    Returns whether it was rebuilt. A system action: audited without an actor."""
    provider = providers.get_provider(dataset.provider_key)
    standard = get_standard(dataset.standard_number)
    if provider is None or standard is None:
        return False
    resource = dataset.resources.filter(format=ResourceFormat.CSV).order_by("position").first()
    changed = provider.last_changed(dataset.municipality)
    if (
        not force
        and resource is not None
        and resource.last_modified
        and changed is not None
        and changed <= resource.last_modified
    ):
        return False
    report = validate_rows(provider(dataset.municipality), standard, max_rows=_max_rows())
    creating = resource is None
    if resource is None:
        resource = Resource(municipality=dataset.municipality, dataset=dataset, format=ResourceFormat.CSV, position=0)
    resource.name = standard.file_name(dataset.municipality.code)
    resource.filename = resource.name
    resource.last_modified = timezone.now()
    _apply_report(resource, report)
    from .export import csv_bytes_for_rows

    body = csv_bytes_for_rows(report.columns, report.rows)
    resource.size = len(body)
    resource.hash = hashlib.sha256(body).hexdigest()
    full_clean_or_refuse(resource)
    resource.save()
    _store_rows(resource, report.rows)
    refresh_search_fields(dataset)
    dataset.save()
    audit_record(
        action="opendata.live_regenerated",
        actor=None,
        municipality=dataset.municipality,
        object_type="opendata.dataset",
        object_id=str(dataset.public_id),
        details={
            "provider": dataset.provider_key,
            "rows": resource.row_count,
            "errors": resource.error_count,
            "created": creating,
        },
    )
    return True


def _catalogue_changed(municipality: Municipality) -> None:
    """The catalogue itself feeds the オープンデータ一覧 (06): regenerate live datasets after commit."""
    from .tasks import refresh_live_datasets

    municipality_id = municipality.pk
    transaction.on_commit(lambda: refresh_live_datasets.enqueue(municipality_id))
