"""Reads of the open data catalogue. Every query is limited to the catalogue's municipalities (one, or the
platform's publishing ones) and to published datasets, except the staff selectors, which are limited to the
staff member's municipality and 課."""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, TextField, Value, When, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, StrIndex
from django.http import Http404

from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Department, Municipality
from madoguchi.core.search import fold, terms
from madoguchi.core.tenancy import get_object_in_municipality

from . import search_index
from .catalogue import Catalogue
from .models import Dataset, DownloadCount, Resource, ResourceRow, ResourceValueCount, row_dict

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


_SEARCH_ONLY = ("search_text", "search_grams", "title_search", "tags_key", "groups_key", "formats_key")


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
    by_id = {dataset.pk: dataset for dataset in datasets}
    for resource in Resource.objects.filter(dataset__in=datasets).defer("content", "problems"):
        resource.dataset = by_id[resource.dataset_id]  # download URLs name the dataset: no query per resource
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
    """CKAN package_search over the catalogue's published datasets. Every `q` word must occur in the folded
    search text (partial words: 「避難」 finds 指定緊急避難場所一覧); the grams index narrows the rows first."""
    queryset = _listed(catalogue)
    free: list[str] = []
    # `q` may hold field:value terms too (CKAN passes them to Solr); the rest is free text.
    try:
        q_parts = shlex.split(query.q or "", posix=True)
    except ValueError:  # free text with a lone quote (O'Brien) is still just words
        q_parts = (query.q or "").split()
    filters: list[tuple[str, str]] = []
    for part in q_parts:
        if part in ("*:*", "*", "AND"):
            continue
        key, sep, value = part.partition(":")
        if sep and key in (*FACET_FIELDS, "name"):
            filters.append((key, value))
        elif sep and key in ("title", "notes", "text"):
            free.append(value)
        else:
            free.append(part)
    filters += _parse_filters(query.fq)
    for key, value in filters:
        queryset = _apply_filter(queryset, catalogue, key, value)
    words = terms(" ".join(free))
    # Tags are part of the search text too, so a tags filter narrows by the grams of the folded tag.
    tag_words = [fold(value) for key, value in filters if key == "tags"]
    queryset = search_index.datasets_containing(queryset, words, also_holding=tag_words)
    ordering = _parse_sort(query.sort)
    facets, count = _facets(catalogue, queryset, query) if query.facet_fields else ({}, None)
    ids: list[int] = []
    if query.rows and (count is None or count > query.start):
        if words:
            score = sum(
                (
                    Case(
                        When(title_search__contains=word, then=Value(4)), default=Value(1), output_field=IntegerField()
                    )
                    for word in words
                ),
                Value(0),
            )
            ranked = queryset.annotate(score=score)
        else:
            ranked = queryset.annotate(score=Value(1, output_field=IntegerField()))
        # Sort the matches by their keys alone, then read the page's rows (sorting whole rows costs more); the
        # same pass counts the matches when no facet did.
        ranked = ranked.order_by(*ordering, "pk")
        window = slice(query.start, query.start + query.rows)
        if count is None:
            found = list(ranked.annotate(_matches=Window(Count("pk"))).values_list("pk", "_matches")[window])
            ids = [pk for pk, _matches in found]
            count = found[0][1] if found else (0 if query.start == 0 else None)
        else:
            ids = list(ranked.values_list("pk", flat=True)[window])
    if count is None:
        count = queryset.count()
    page: list[Dataset] = []
    if ids:
        by_id = {dataset.pk: dataset for dataset in _listed(catalogue).filter(pk__in=ids)}
        page = [by_id[pk] for pk in ids]
        _attach_municipalities(catalogue, page)
    return SearchResult(count=count, datasets=page, facets=facets, sort=query.sort or DEFAULT_SORT)


def _listed(catalogue: Catalogue) -> QuerySet[Dataset]:
    """Published datasets with what their CKAN dict shows (the municipality comes from the catalogue)."""
    return published_datasets(catalogue).select_related(None).select_related("department").defer(*_SEARCH_ONLY)


def _attach_municipalities(catalogue: Catalogue, datasets: list[Dataset]) -> None:
    """The catalogue already holds the municipalities: no join or second copy per dataset."""
    by_id = {m.pk: m for m in catalogue.municipalities()}
    for dataset in datasets:
        dataset.municipality = by_id[dataset.municipality_id]


# Facets of "|a|b|" keys are counted per distinct key (few: datasets share their groups and formats) and
# split here; every other facet is a plain GROUP BY column.
_KEYED_FACETS = {"tags": "tags_key", "groups": "groups_key", "res_format": "formats_key"}


def _facets(
    catalogue: Catalogue, queryset: QuerySet[Dataset], query: SearchQuery
) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
    """The wanted facets by grouped SQL counts over the matching datasets, and the number of matching
    datasets (the sum of any one grouping) when a grouping was made. Tags have many distinct combinations, so
    they get their own grouping; the other facets share one."""
    wanted = [name for name in dict.fromkeys(query.facet_fields) if name in FACET_FIELDS]
    organization = "municipality__slug" if catalogue.is_platform else "department__slug"
    columns = {"organization": organization, "license_id": "license_id", **_KEYED_FACETS}
    counters: dict[str, Counter[str]] = {name: Counter() for name in wanted}
    groupings = [[name for name in wanted if name != "tags"], [name for name in wanted if name == "tags"]]
    count: int | None = None
    for names in groupings:
        if not names:
            continue
        rows = queryset.order_by().values_list(*[columns[name] for name in names]).annotate(n=Count("pk"))
        total = 0
        for *values, n in rows:
            total += n
            for name, value in zip(names, values, strict=True):
                if name in _KEYED_FACETS:
                    for item in {item for item in (value or "").split("|") if item}:
                        counters[name][item] += n
                elif value:
                    counters[name][value] += n
        count = total
    result: dict[str, list[tuple[str, int]]] = {}
    for name in wanted:
        items = [(key, n) for key, n in counters[name].items() if n >= query.facet_mincount]
        items.sort(key=lambda item: (-item[1], item[0]))
        result[name] = items[: query.facet_limit] if query.facet_limit >= 0 else items
    return result, count


def organization_titles(catalogue: Catalogue) -> dict[str, str]:
    """Organization name → title, for facet labels (no counts: cheaper than organizations())."""
    if catalogue.is_platform:
        return {m.slug: m.name for m in catalogue.municipalities()}
    if not catalogue.municipalities():
        return {}
    return dict(
        Department.objects.filter(municipality=catalogue.municipality, is_active=True).values_list("slug", "name")
    )


def organizations(catalogue: Catalogue) -> list[dict[str, Any]]:
    """The catalogue's organizations with their published dataset counts."""
    column = "municipality__slug" if catalogue.is_platform else "department__slug"
    counts = dict(published_datasets(catalogue).order_by().values_list(column).annotate(n=Count("pk")))
    if catalogue.is_platform:
        return [
            {"object": m, "name": m.slug, "title": m.name, "count": counts.get(m.slug, 0)}
            for m in catalogue.municipalities()
        ]
    if not catalogue.municipalities():
        return []
    departments = Department.objects.filter(municipality=catalogue.municipality, is_active=True)
    return [{"object": d, "name": d.slug, "title": d.name, "count": counts.get(d.slug, 0)} for d in departments]


def _keyed_counts(catalogue: Catalogue, column: str) -> Counter[str]:
    """Datasets per item of a "|a|b|" key column, grouped in SQL by distinct key."""
    counter: Counter[str] = Counter()
    rows = published_datasets(catalogue).order_by().values_list(column).annotate(n=Count("pk"))
    for key, n in rows:
        for item in {item for item in (key or "").split("|") if item}:
            counter[item] += n
    return counter


def tags(catalogue: Catalogue, query: str = "") -> list[str]:
    folded = fold(query)
    return sorted(tag for tag in _keyed_counts(catalogue, "tags_key") if not folded or folded in fold(tag))


def group_counts(catalogue: Catalogue) -> Counter[str]:
    return _keyed_counts(catalogue, "groups_key")


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
    numbers: list[int] | None = None
    cell_filters: list[tuple[int, list[str]]] = []  # (column index, the values any of which the cell is)
    for name, value in query.filters.items():
        if name == "_id":
            values = value if isinstance(value, list) else [value]
            try:
                numbers = [int(v) for v in values]
            except (TypeError, ValueError) as exc:
                raise QueryError('"_id" filter needs integers') from exc
            continue
        if name not in columns:
            raise QueryError(f'field "{name}" not in table')
        wanted = value if isinstance(value, list) else [value]
        if not wanted or any(isinstance(v, dict | list) for v in wanted):
            raise QueryError(f'filter on "{name}" needs a value or a list of values')
        texts = list(dict.fromkeys("" if item is None else str(item) for item in wanted[:100]))
        cell_filters.append((columns.index(name), texts))
    words = terms(query.q)

    def matching(rows: QuerySet[ResourceRow], *, use_index: bool = True) -> QuerySet[ResourceRow]:
        if numbers is not None:
            rows = rows.filter(number__in=numbers)
        for position, (column_index, texts) in enumerate(cell_filters):
            rows = _cells_equal(rows, resource, column_index, texts, f"_f{position}", use_index=use_index)
        for word in words:
            rows = rows.filter(search_text__contains=word)
        return rows

    ordering: list[Any] = []
    for part in (query.sort or "").split(","):
        sort_words = part.split()
        if not sort_words:
            continue
        name, direction = sort_words[0].strip('"'), (sort_words[1].lower() if len(sort_words) > 1 else "asc")
        if direction not in ("asc", "desc") or (name != "_id" and name not in columns) or len(sort_words) > 2:
            raise QueryError(f"cannot sort by {part.strip()!r}")
        if name == "_id":
            ordering.append("-number" if direction == "desc" else "number")
        else:
            expression = _text(str(columns.index(name)))
            ordering.append(expression.desc() if direction == "desc" else expression.asc())
    ordering.append("number")
    one_column = numbers is None and not words and len(cell_filters) == 1
    total = _counted_total(resource, cell_filters[0]) if one_column else None
    if total is None and query.include_total:
        total = matching(ResourceRow.objects.filter(resource=resource)).count()
    # With the number of matches known, take the cheaper way to the page: walking the rows in `number` order
    # passes about (offset + limit) × row_count ÷ total rows; starting from the cell index fetches `total`
    # rows and sorts them (the only way for another sort). Without the number, the database chooses.
    indexable = bool(cell_filters) and all(all(texts) for _index, texts in cell_filters)
    by_number = all(item in ("number", "-number") for item in ordering)
    if indexable and total is not None:
        walk = (query.offset + query.limit) * max(resource.row_count, 1) / max(total, 1)
        if not by_number or total < walk:
            queryset = matching(search_index.rows_to_walk_from_cell_index(resource))
        else:
            queryset = matching(ResourceRow.objects.filter(resource=resource), use_index=False)
    else:
        queryset = matching(ResourceRow.objects.filter(resource=resource))
    records = []
    rows = queryset.order_by(*ordering).values_list("number", "values")[query.offset : query.offset + query.limit]
    for number, values in rows:
        record = {"_id": number, **row_dict(columns, values)}
        records.append({name: record[name] for name in fields})
    return records, (total if query.include_total else None), fields


def _cells_equal(
    rows: QuerySet[ResourceRow],
    resource: Resource,
    column_index: int,
    texts: list[str],
    alias: str,
    *,
    use_index: bool = True,
) -> QuerySet[ResourceRow]:
    """Rows whose cell in the column is exactly (case-sensitively) one of the texts: "<column>\x1e<value>"
    between separators in filter_text, tested on the rows the cell index gives for non-empty values (empty
    cells are not in filter_text nor in the index: a scan) unless use_index is off."""
    if use_index:
        rows = search_index.rows_with_cells(rows, resource, column_index, texts)
    condition = Q(pk__in=[])
    for position, text in enumerate(texts):
        name = f"{alias}_{position}"
        if text:
            needle = f"{FIELD_SEP}{column_index}{VALUE_SEP}{text}{FIELD_SEP}"
            rows = rows.alias(**{name: StrIndex("filter_text", Value(needle))})
            condition |= Q(**{f"{name}__gt": 0})
        else:
            needle = f"{FIELD_SEP}{column_index}{VALUE_SEP}"
            rows = rows.alias(**{name: StrIndex("filter_text", Value(needle))})
            condition |= Q(**{name: 0})
    return rows.filter(condition)


def _counted_total(resource: Resource, cell_filter: tuple[int, list[str]]) -> int | None:
    """The number of rows a one-column filter matches, from the resource's value counts; values too rare to
    be counted are counted from their rows (through the cell index: few). None without value counts."""
    column_index, texts = cell_filter
    counted = dict(
        ResourceValueCount.objects.filter(
            resource=resource, column_index=column_index, value__in=[*texts, ""]
        ).values_list("value", "rows")
    )
    if "" not in counted:  # the counts of this resource were never made
        return None
    rare = [text for text in texts if text not in counted]
    total = sum(counted[text] for text in texts if text in counted)
    if rare:
        rows = search_index.rows_to_walk_from_cell_index(resource)
        total += _cells_equal(rows, resource, column_index, rare, "_rare").count()
    return total


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
