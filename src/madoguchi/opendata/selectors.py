"""Reads of the open data catalogue. Every query is limited to the catalogue's municipalities (one, or the
platform's publishing ones) and to published datasets, except the staff selectors, which are limited to the
staff member's municipality and 課."""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, StrIndex
from django.http import Http404

from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Department, Municipality
from madoguchi.core.search import fold, terms
from madoguchi.core.tenancy import get_object_in_municipality

from .catalogue import Catalogue
from .models import Dataset, DownloadCount, Resource, ResourceRow, row_dict

FIELD_SEP, VALUE_SEP = "\x1f", "\x1e"  # as in services.filter_text

FACET_FIELDS = ("organization", "tags", "res_format", "license_id", "groups")
SORT_FIELDS = {
    "score": "score",
    "name": "name",
    "title_string": "title",
    "title": "title",
    "metadata_modified": "modified_at",
    "metadata_created": "created_at",
}
DEFAULT_SORT = "score desc, metadata_modified desc"


_SEARCH_ONLY = ("search_text", "title_search", "tags_key", "groups_key", "formats_key")


class QueryError(ValueError):
    """A search the caller wrote wrongly (CKAN's Search Query Error); the message says what."""


def published_datasets(catalogue: Catalogue) -> QuerySet[Dataset]:
    return Dataset.objects.filter(
        municipality__in=catalogue.municipalities(), published_at__isnull=False
    ).select_related("municipality", "department")


def dataset_get_published(catalogue: Catalogue, name_or_id: str) -> Dataset:
    """A published dataset by CKAN name or id (UUID); Http404 otherwise."""
    datasets = published_datasets(catalogue)
    candidates = Q()
    for municipality, name in catalogue.split_name(name_or_id):
        candidates |= Q(municipality=municipality, name=name)
    try:
        candidates |= Q(public_id=name_or_id) if len(name_or_id) in (32, 36) else Q()
        found = datasets.filter(candidates).first() if candidates else None
    except Exception:  # a malformed UUID is simply not found
        found = None
    if found is None:
        raise Http404
    return found


def resource_get_published(catalogue: Catalogue, resource_id: str) -> Resource:
    try:
        resource = (
            Resource.objects.filter(
                public_id=resource_id,
                dataset__municipality__in=catalogue.municipalities(),
                dataset__published_at__isnull=False,
            )
            .select_related("dataset", "dataset__municipality", "dataset__department")
            .first()
        )
    except Exception:  # malformed UUID
        resource = None
    if resource is None:
        raise Http404
    return resource


def resources_of(datasets: list[Dataset]) -> dict[int, list[Resource]]:
    """Resources of many datasets with one query, without their stored bytes."""
    grouped: dict[int, list[Resource]] = {dataset.pk: [] for dataset in datasets}
    for resource in Resource.objects.filter(dataset__in=datasets).defer("content", "problems"):
        grouped[resource.dataset_id].append(resource)
    return grouped


# --- search --------------------------------------------------------------------------------------------


@dataclass
class SearchQuery:
    q: str = ""
    fq: str = ""
    sort: str = DEFAULT_SORT
    rows: int = 10
    start: int = 0
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, int]]]
    sort: str


def _parse_filters(text: str) -> list[tuple[str, str]]:
    """`organization:uozu tags:"避難 所" +res_format:CSV AND groups:disaster` → [(field, value), …]."""
    try:
        parts = shlex.split(text or "", posix=True)
    except ValueError as exc:
        raise QueryError(f"unbalanced quotes in {text!r}") from exc
    pairs: list[tuple[str, str]] = []
    for part in parts:
        if part in ("AND", "&&") or not part:
            continue
        key, sep, value = part.lstrip("+").partition(":")
        if not sep or not value:
            raise QueryError(f"cannot parse {part!r}: use field:value")
        if key not in FACET_FIELDS and key not in ("name", "state", "site_id", "capacity", "dataset_type"):
            raise QueryError(f"unknown field {key!r}")
        pairs.append((key, value))
    return pairs


def _apply_filter(queryset: QuerySet[Dataset], catalogue: Catalogue, key: str, value: str) -> QuerySet[Dataset]:
    if key == "organization":
        if catalogue.is_platform:
            return queryset.filter(municipality__slug=value)
        return queryset.filter(department__slug=value)
    if key == "tags":
        return queryset.filter(tags_key__contains=f"|{value}|")
    if key == "groups":
        return queryset.filter(groups_key__contains=f"|{value}|")
    if key == "res_format":
        return queryset.filter(formats_key__contains=f"|{value.upper()}|")
    if key == "license_id":
        return queryset.filter(license_id=value)
    if key == "name":
        pairs = catalogue.split_name(value)
        condition = Q(pk__in=[])
        for municipality, name in pairs:
            condition |= Q(municipality=municipality, name=name)
        return queryset.filter(condition)
    if key == "state":
        return queryset if value == "active" else queryset.none()
    if key == "dataset_type":
        return queryset if value == "dataset" else queryset.none()
    return queryset  # site_id, capacity: always ours / public


def _parse_sort(text: str) -> list[str]:
    ordering: list[str] = []
    for part in (text or DEFAULT_SORT).split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or words[0] not in SORT_FIELDS or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise QueryError(f"cannot sort by {part.strip()!r}")
        column = SORT_FIELDS[words[0]]
        descending = len(words) == 2 and words[1] == "desc"
        ordering.append(("-" if descending else "") + column)
    return ordering or ["-score", "-modified_at"]


def search(catalogue: Catalogue, query: SearchQuery) -> SearchResult:
    queryset = published_datasets(catalogue)
    free: list[str] = []
    # `q` may hold field:value terms too (CKAN passes them to Solr); the rest is free text.
    try:
        q_parts = shlex.split(query.q or "", posix=True)
    except ValueError:  # free text with a lone quote (O'Brien) is still just words
        q_parts = (query.q or "").split()
    for part in q_parts:
        if part in ("*:*", "*", "AND"):
            continue
        key, sep, value = part.partition(":")
        if sep and key in (*FACET_FIELDS, "name"):
            queryset = _apply_filter(queryset, catalogue, key, value)
        elif sep and key in ("title", "notes", "text"):
            free.append(value)
        else:
            free.append(part)
    for key, value in _parse_filters(query.fq):
        queryset = _apply_filter(queryset, catalogue, key, value)
    words = terms(" ".join(free))
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    if words:
        score = sum(
            (
                Case(When(title_search__contains=word, then=Value(4)), default=Value(1), output_field=IntegerField())
                for word in words
            ),
            Value(0),
        )
        queryset = queryset.annotate(score=score)
    else:
        queryset = queryset.annotate(score=Value(1, output_field=IntegerField()))
    ordering = _parse_sort(query.sort)
    count = queryset.count()
    facets = _facets(catalogue, queryset, query) if query.facet_fields else {}
    page: list[Dataset] = (
        list(queryset.order_by(*ordering, "pk")[query.start : query.start + query.rows]) if query.rows else []
    )
    return SearchResult(count=count, datasets=page, facets=facets, sort=query.sort or DEFAULT_SORT)


def _facets(catalogue: Catalogue, queryset: QuerySet[Dataset], query: SearchQuery) -> dict[str, list[tuple[str, int]]]:
    wanted = [name for name in query.facet_fields if name in FACET_FIELDS]
    organization = "municipality__slug" if catalogue.is_platform else "department__slug"
    columns = {
        "organization": organization,
        "tags": "tags",
        "groups": "groups",
        "res_format": "formats_key",
        "license_id": "license_id",
    }
    counters: dict[str, Counter[str]] = {name: Counter() for name in wanted}
    for values in queryset.order_by().values_list(*[columns[name] for name in wanted]):
        for name, value in zip(wanted, values, strict=True):
            if name in ("tags", "groups"):
                counters[name].update(set(value or []))
            elif name == "res_format":
                counters[name].update({item for item in (value or "").split("|") if item})
            elif value:
                counters[name][value] += 1
    result: dict[str, list[tuple[str, int]]] = {}
    for name in wanted:
        items = [(key, count) for key, count in counters[name].items() if count >= query.facet_mincount]
        items.sort(key=lambda item: (-item[1], item[0]))
        result[name] = items[: query.facet_limit] if query.facet_limit >= 0 else items
    return result


def organizations(catalogue: Catalogue) -> list[dict[str, Any]]:
    """The catalogue's organizations with their published dataset counts."""
    counts = Counter(
        published_datasets(catalogue)
        .order_by()
        .values_list("municipality__slug" if catalogue.is_platform else "department__slug", flat=True)
    )
    if catalogue.is_platform:
        return [
            {"object": m, "name": m.slug, "title": m.name, "count": counts.get(m.slug, 0)}
            for m in catalogue.municipalities()
        ]
    if not catalogue.municipalities():
        return []
    departments = Department.objects.filter(municipality=catalogue.municipality, is_active=True)
    return [{"object": d, "name": d.slug, "title": d.name, "count": counts.get(d.slug, 0)} for d in departments]


def tags(catalogue: Catalogue, query: str = "") -> list[str]:
    folded = fold(query)
    found: set[str] = set()
    for values in published_datasets(catalogue).order_by().values_list("tags", flat=True):
        found.update(tag for tag in values or [] if not folded or folded in fold(tag))
    return sorted(found)


def group_counts(catalogue: Catalogue) -> Counter[str]:
    counter: Counter[str] = Counter()
    for values in published_datasets(catalogue).order_by().values_list("groups", flat=True):
        counter.update(set(values or []))
    return counter


# --- DataStore -----------------------------------------------------------------------------------------


@dataclass
class RowQuery:
    filters: dict[str, Any] = field(default_factory=dict)
    q: str = ""
    limit: int = 100
    offset: int = 0
    fields: list[str] = field(default_factory=list)
    sort: str = ""
    include_total: bool = True


def _text(index: str) -> Cast:
    """A row's value at one column index, as text."""
    return Cast(KeyTextTransform(index, "values"), TextField())


def rows_search(resource: Resource, query: RowQuery) -> tuple[list[dict[str, Any]], int | None, list[str]]:
    """(records, total, the fields returned). Field names the table lacks raise QueryError naming them."""
    columns = list(resource.columns)
    fields = query.fields or ["_id", *columns]
    unknown = [name for name in fields if name != "_id" and name not in columns]
    if unknown:
        raise QueryError(f'field "{unknown[0]}" not in table')
    queryset = ResourceRow.objects.filter(resource=resource)
    for index, (name, value) in enumerate(query.filters.items()):
        if name == "_id":
            values = value if isinstance(value, list) else [value]
            try:
                queryset = queryset.filter(number__in=[int(v) for v in values])
            except (TypeError, ValueError) as exc:
                raise QueryError('"_id" filter needs integers') from exc
            continue
        if name not in columns:
            raise QueryError(f'field "{name}" not in table')
        wanted = value if isinstance(value, list) else [value]
        if not wanted or any(isinstance(v, dict | list) for v in wanted):
            raise QueryError(f'filter on "{name}" needs a value or a list of values')
        # Exact, case-sensitive match of "<column>=<value>" between separators (see ResourceRow.filter_text).
        condition = Q(pk__in=[])
        for position, item in enumerate(wanted[:100]):
            alias = f"_f{index}_{position}"
            text = "" if item is None else str(item)
            if text:
                needle = f"{FIELD_SEP}{columns.index(name)}{VALUE_SEP}{text}{FIELD_SEP}"
                queryset = queryset.alias(**{alias: StrIndex("filter_text", Value(needle))})
                condition |= Q(**{f"{alias}__gt": 0})
            else:  # empty cells are not in filter_text
                needle = f"{FIELD_SEP}{columns.index(name)}{VALUE_SEP}"
                queryset = queryset.alias(**{alias: StrIndex("filter_text", Value(needle))})
                condition |= Q(**{alias: 0})
        queryset = queryset.filter(condition)
    for word in terms(query.q):
        queryset = queryset.filter(search_text__contains=word)
    ordering: list[Any] = []
    for part in (query.sort or "").split(","):
        words = part.split()
        if not words:
            continue
        name, direction = words[0].strip('"'), (words[1].lower() if len(words) > 1 else "asc")
        if direction not in ("asc", "desc") or (name != "_id" and name not in columns) or len(words) > 2:
            raise QueryError(f"cannot sort by {part.strip()!r}")
        if name == "_id":
            ordering.append("-number" if direction == "desc" else "number")
        else:
            expression = _text(str(columns.index(name)))
            ordering.append(expression.desc() if direction == "desc" else expression.asc())
    ordering.append("number")
    total = queryset.count() if query.include_total else None
    records = []
    rows = queryset.order_by(*ordering).values_list("number", "values")[query.offset : query.offset + query.limit]
    for number, values in rows:
        record = {"_id": number, **row_dict(columns, values)}
        records.append({name: record[name] for name in fields})
    return records, total, fields


# --- staff ---------------------------------------------------------------------------------------------


def datasets_for_staff(municipality: Municipality, user: Any) -> QuerySet[Dataset]:
    queryset = Dataset.objects.filter(municipality=municipality).select_related("department")
    scope = department_scope(user, municipality)
    if scope is not None:
        queryset = queryset.filter(department__in=scope)
    return queryset.order_by("-modified_at")


def dataset_for_staff(municipality: Municipality, user: Any, public_id: str) -> Dataset:
    return get_object_in_municipality(datasets_for_staff(municipality, user), municipality, public_id=public_id)


def resource_for_staff(dataset: Dataset, public_id: str) -> Resource:
    return get_object_in_municipality(dataset.resources.all(), dataset.municipality, public_id=public_id)


def download_totals(datasets: list[Dataset]) -> dict[int, int]:
    rows = (
        DownloadCount.objects.filter(resource__dataset__in=datasets)
        .values_list("resource__dataset_id")
        .annotate(total=Sum("count"))
    )
    return dict(rows)


def preview_rows(resource: Resource, limit: int = 10) -> list[dict[str, Any]]:
    columns = list(resource.columns)
    return [row.as_dict(columns) for row in ResourceRow.objects.filter(resource=resource).order_by("number")[:limit]]


def coordinates(resource: Resource, limit: int = 200) -> list[dict[str, str]]:
    """Rows with both 緯度 and 経度, for the map preview (a table of points)."""
    if "緯度" not in resource.columns or "経度" not in resource.columns:
        return []
    name_column = next((c for c in ("名称", "イベント名", "場所名称", "データ名称") if c in resource.columns), "")
    points = []
    columns = list(resource.columns)
    rows = ResourceRow.objects.filter(resource=resource).order_by("number").values_list("values", flat=True)[:limit]
    for values in rows:
        data = row_dict(columns, values)
        if data.get("緯度") and data.get("経度"):
            points.append({"name": data.get(name_column, ""), "lat": data["緯度"], "lon": data["経度"]})
    return points
