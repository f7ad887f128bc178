"""Indexes that narrow package_search and datastore_search before their exact tests, on SQLite and PostgreSQL
(tables, triggers and indexes: migration 0002), and the value counts behind datastore_search's `total`.

- Datasets: `Dataset.search_grams` holds the distinct characters and character pairs (bigrams) of the
  words of the folded search text. A dataset whose search text contains a term holds every gram of that
  term, so the index gives a superset of the matches and the exact substring test (LIKE) runs only on it.
  Pairs, not the trigrams of pg_trgm or FTS5's trigram tokenizer: most Japanese search words (避難, 公園,
  防災) are two characters, which a trigram index cannot narrow. SQLite keeps the grams in the FTS5 table
  `opendata_dataset_grams` (ascii tokenizer: a gram is exactly one token); PostgreSQL in a GIN index over
  the stored generated column `search_gram_array` = `string_to_array(search_grams, ' ')` (migration 0003).
- DataStore rows: a `filters` value of column i of resource r is the cell key "r<r>c<i>\\x1e<value>" on
  PostgreSQL (the elements of filter_text split on \\x1f, each prefixed with the resource, in a GIN index:
  exact), and the FTS5 phrase "r<r>c<i>x<value>" on SQLite (filter_text with the same prefix and \\x1e
  replaced by "x", in the table `opendata_row_cells`: case-folded and word-split, so a superset). The
  case-sensitive exact test in selectors.rows_search stays either way.
- ResourceValueCount: rows per frequent value and per column's empty value, made when rows are stored.

Another database engine gets no narrowing (the exact tests alone) and no value counts (rows are counted)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import connections
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL

from .models import VALUE_COUNT_MAX_LENGTH, VALUE_COUNT_MIN_ROWS, Dataset, Resource, ResourceRow, ResourceValueCount

FIELD_SEP, VALUE_SEP = "\x1f", "\x1e"  # as in services.filter_text
# Runs of letters and digits: characters the FTS5 ascii tokenizer keeps inside a token (ASCII letters and
# digits, and every non-ASCII character). Punctuation and spaces end a run in texts and terms alike.
_WORD = re.compile(r"[^\W_]+")
# The dataset's grams as an array: a stored generated column with a GIN index (migration 0003).
POSTGRES_DATASET_GRAMS = '"opendata_dataset"."search_gram_array"'
# The indexed expression of migration 0002, verbatim: PostgreSQL uses an expression index only for the same
# expression.
POSTGRES_ROW_CELLS = (
    """string_to_array(replace("opendata_resourcerow"."filter_text", E'\\x1f', """
    """E'\\x1fr' || "opendata_resourcerow"."resource_id"::text || 'c'), E'\\x1f')"""
)
# Constant SQL: what users typed only ever reaches it as a bound parameter.
_SQLITE_DATASETS_MATCHING = "SELECT rowid FROM opendata_dataset_grams WHERE opendata_dataset_grams MATCH %s"
_SQLITE_ROWS_MATCHING = "SELECT rowid FROM opendata_row_cells WHERE opendata_row_cells MATCH %s"
_POSTGRES_DATASETS_HOLDING = f"{POSTGRES_DATASET_GRAMS} @> %s::text[]"
_POSTGRES_ROWS_HOLDING_ANY = f"{POSTGRES_ROW_CELLS} && %s::text[]"


def dataset_grams(folded_text: str) -> str:
    """The stored form: every distinct gram of the text, space-separated (sorted, so saves are stable)."""
    grams: set[str] = set()
    for run in _WORD.findall(folded_text):
        grams |= set(run) | {run[i : i + 2] for i in range(len(run) - 1)}
    return " ".join(sorted(grams))


def term_grams(folded_term: str) -> list[str]:
    """The fewest grams a matching dataset must hold: the pairs of each run (a lone character for a
    one-character run)."""
    grams: set[str] = set()
    for run in _WORD.findall(folded_term):
        grams |= {run} if len(run) == 1 else {run[i : i + 2] for i in range(len(run) - 1)}
    return sorted(grams)


def _vendor(queryset: QuerySet) -> str:
    return connections[queryset.db].vendor


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def datasets_with_grams(queryset: QuerySet[Dataset], grams: list[str]) -> QuerySet[Dataset]:
    """Datasets holding every gram (a superset of those containing the terms the grams came from)."""
    if not grams:
        return queryset
    vendor = _vendor(queryset)
    if vendor == "sqlite":
        match = " ".join(_fts_phrase(gram) for gram in grams)
        return queryset.filter(pk__in=RawSQL(_SQLITE_DATASETS_MATCHING, [match]))  # noqa: S611 (constant SQL)
    if vendor == "postgresql":
        return queryset.filter(RawSQL(_POSTGRES_DATASETS_HOLDING, [grams], BooleanField()))  # noqa: S611
    return queryset


def datasets_containing(
    queryset: QuerySet[Dataset], words: list[str], *, also_holding: Sequence[str] = ()
) -> QuerySet[Dataset]:
    """Datasets whose search text contains every (folded) word: narrowed by the grams of the words and of
    `also_holding` (texts known to be in the search text of every wanted dataset, such as a filtered tag),
    then tested by substring. A word of one or two letters or digits needs no test: holding its gram is
    containing it."""
    grams = sorted({gram for word in [*words, *also_holding] for gram in term_grams(word)})
    indexed = bool(grams) and _vendor(queryset) in ("sqlite", "postgresql")
    queryset = datasets_with_grams(queryset, grams)
    for word in words:
        if not (indexed and len(word) <= 2 and _WORD.fullmatch(word)):
            queryset = queryset.filter(search_text__contains=word)
    return queryset


def rows_with_cells(
    queryset: QuerySet[ResourceRow], resource: Resource, column_index: int, values: list[str]
) -> QuerySet[ResourceRow]:
    """Rows of the resource holding any of the (non-empty) values in the column, or a superset of them."""
    if not values or not all(values):
        return queryset
    vendor = _vendor(queryset)
    prefix = f"r{resource.pk}c{column_index}"
    if vendor == "sqlite":
        match = " OR ".join(_fts_phrase(f"{prefix}x{value}") for value in values)
        return queryset.filter(pk__in=RawSQL(_SQLITE_ROWS_MATCHING, [match]))  # noqa: S611 (constant SQL)
    if vendor == "postgresql":
        keys = [f"{prefix}{VALUE_SEP}{value}" for value in values]
        return queryset.filter(RawSQL(_POSTGRES_ROWS_HOLDING_ANY, [keys], BooleanField()))  # noqa: S611
    return queryset


def rows_to_walk_from_cell_index(resource: Resource) -> QuerySet[ResourceRow]:
    """The resource's rows for a query that should start from the cell index (few matches). SQLite otherwise
    prefers to walk every row of the resource in `number` order, for the ORDER BY, testing each against the
    index's row ids; `resource_id + 0` is not indexable, which leaves it the row ids. PostgreSQL chooses by
    its statistics."""
    rows = ResourceRow.objects.filter(resource=resource)
    if connections[rows.db].vendor == "sqlite":
        return ResourceRow.objects.alias(_resource_unindexed=F("resource_id") + 0).filter(
            _resource_unindexed=resource.pk
        )
    return rows


_SQLITE_CELLS = """
    FROM opendata_resourcerow AS r, json_each(r."values") AS cell
    WHERE r.resource_id = %s AND cell.value <> ''"""
_POSTGRES_CELLS = """
    FROM opendata_resourcerow AS r
    CROSS JOIN LATERAL jsonb_array_elements_text(r."values") WITH ORDINALITY AS cell(value, key)
    WHERE r.resource_id = %s AND cell.value <> ''"""
_COLUMN_INDEX = {"sqlite": "CAST(cell.key AS INTEGER)", "postgresql": "cell.key - 1"}


def rows_stored(resource: Resource) -> None:
    """After a resource's rows were replaced: its value counts, and on PostgreSQL fresh planner statistics
    of the rows table (a bulk load leaves them stale until autovacuum comes by, and without them the planner
    sorts a whole resource where walking the (resource, number) index stops after a page)."""
    refresh_value_counts(resource)
    rows = ResourceRow.objects.filter(resource=resource)
    if connections[rows.db].vendor == "postgresql":
        with connections[rows.db].cursor() as cursor:
            cursor.execute("ANALYZE opendata_resourcerow")


def refresh_value_counts(resource: Resource) -> None:
    """Count, in the database, the rows per frequent value of each column and the empty cells of each column
    (a row missing a cell counts as empty, as in rows_search). Call after the resource's rows changed."""
    rows = ResourceRow.objects.filter(resource=resource)
    counts = ResourceValueCount.objects.filter(resource=resource)
    counts.delete()
    vendor = connections[counts.db].vendor
    if vendor not in _COLUMN_INDEX:
        return
    cells = _SQLITE_CELLS if vendor == "sqlite" else _POSTGRES_CELLS
    column_index = _COLUMN_INDEX[vendor]
    with connections[counts.db].cursor() as cursor:
        cursor.execute(
            "INSERT INTO opendata_resourcevaluecount (municipality_id, resource_id, column_index, value, rows) "
            f"SELECT %s, %s, {column_index}, cell.value, COUNT(*) {cells} AND length(cell.value) <= %s "
            f"GROUP BY {column_index}, cell.value HAVING COUNT(*) >= %s",
            [resource.municipality_id, resource.pk, resource.pk, VALUE_COUNT_MAX_LENGTH, VALUE_COUNT_MIN_ROWS],
        )
        cursor.execute(f"SELECT {column_index}, COUNT(*) {cells} GROUP BY {column_index}", [resource.pk])
        filled = dict(cursor.fetchall())
    total = rows.count()
    ResourceValueCount.objects.bulk_create(
        ResourceValueCount(
            municipality_id=resource.municipality_id,
            resource=resource,
            column_index=index,
            value="",
            rows=total - filled.get(index, 0),
        )
        for index in range(len(resource.columns))
    )
