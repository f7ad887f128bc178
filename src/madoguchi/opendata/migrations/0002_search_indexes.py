"""Indexes for package_search and datastore_search (see opendata/search_index.py for how they are read).

Dataset.search_grams (the characters and character pairs of the folded search text) is added and filled,
ResourceValueCount is created and filled for the stored rows; then, by database:
- SQLite: FTS5 tables (ascii tokenizer) `opendata_dataset_grams` over the grams and `opendata_row_cells`
  over ResourceRow.filter_text with each cell prefixed by "r<resource>c" and \\x1e replaced by "x", kept in
  step by triggers. SQLite drops a
  table's triggers when Django rebuilds the table (an AlterField does): a later migration that changes
  opendata_dataset or opendata_resourcerow on SQLite must run SQLITE_TRIGGERS again
  (tests/opendata/test_search_index.py fails when they are missing).
- PostgreSQL: GIN indexes over string_to_array(search_grams, ' ') and over the cells of filter_text, each
  prefixed by "r<resource>c".
"""

import re

import django.db.models.deletion
from django.db import migrations, models

WORD = re.compile(r"[^\W_]+")


def grams(folded_text):
    """As opendata.search_index.dataset_grams (migrations do not import application code)."""
    found = set()
    for run in WORD.findall(folded_text):
        found |= set(run) | {run[i : i + 2] for i in range(len(run) - 1)}
    return " ".join(sorted(found))


# "r<resource>c<column>x<value>" per cell: see search_index.py.
ROW_CELLS = "replace(replace({row}.filter_text, char(30), 'x'), char(31), ' r' || {row}.resource_id || 'c')"

SQLITE_TABLES = [
    """CREATE VIRTUAL TABLE opendata_dataset_grams USING fts5(
        search_grams, content='opendata_dataset', content_rowid='id', tokenize='ascii')""",
    "CREATE VIRTUAL TABLE opendata_row_cells USING fts5(cells, content='', tokenize='ascii')",
]
SQLITE_TRIGGERS = [
    """CREATE TRIGGER opendata_dataset_grams_insert AFTER INSERT ON opendata_dataset BEGIN
        INSERT INTO opendata_dataset_grams(rowid, search_grams) VALUES (new.id, new.search_grams);
    END""",
    """CREATE TRIGGER opendata_dataset_grams_delete AFTER DELETE ON opendata_dataset BEGIN
        INSERT INTO opendata_dataset_grams(opendata_dataset_grams, rowid, search_grams)
            VALUES ('delete', old.id, old.search_grams);
    END""",
    """CREATE TRIGGER opendata_dataset_grams_update AFTER UPDATE OF search_grams ON opendata_dataset BEGIN
        INSERT INTO opendata_dataset_grams(opendata_dataset_grams, rowid, search_grams)
            VALUES ('delete', old.id, old.search_grams);
        INSERT INTO opendata_dataset_grams(rowid, search_grams) VALUES (new.id, new.search_grams);
    END""",
    f"""CREATE TRIGGER opendata_row_cells_insert AFTER INSERT ON opendata_resourcerow BEGIN
        INSERT INTO opendata_row_cells(rowid, cells) VALUES (new.id, {ROW_CELLS.format(row="new")});
    END""",
    f"""CREATE TRIGGER opendata_row_cells_delete AFTER DELETE ON opendata_resourcerow BEGIN
        INSERT INTO opendata_row_cells(opendata_row_cells, rowid, cells)
            VALUES ('delete', old.id, {ROW_CELLS.format(row="old")});
    END""",
    f"""CREATE TRIGGER opendata_row_cells_update AFTER UPDATE OF filter_text ON opendata_resourcerow BEGIN
        INSERT INTO opendata_row_cells(opendata_row_cells, rowid, cells)
            VALUES ('delete', old.id, {ROW_CELLS.format(row="old")});
        INSERT INTO opendata_row_cells(rowid, cells) VALUES (new.id, {ROW_CELLS.format(row="new")});
    END""",
]
SQLITE_FILL = [
    "INSERT INTO opendata_dataset_grams(opendata_dataset_grams) VALUES ('rebuild')",
    f"INSERT INTO opendata_row_cells(rowid, cells) SELECT id, {ROW_CELLS.format(row='opendata_resourcerow')} "
    "FROM opendata_resourcerow",
]
SQLITE_DROP = [
    *[
        f"DROP TRIGGER IF EXISTS opendata_{name}"
        for name in (
            "dataset_grams_insert",
            "dataset_grams_delete",
            "dataset_grams_update",
            "row_cells_insert",
            "row_cells_delete",
            "row_cells_update",
        )
    ],
    "DROP TABLE IF EXISTS opendata_dataset_grams",
    "DROP TABLE IF EXISTS opendata_row_cells",
]
POSTGRES_CREATE = [
    "CREATE INDEX opendata_dataset_grams ON opendata_dataset USING gin (string_to_array(search_grams, ' '))",
    "CREATE INDEX opendata_row_cells ON opendata_resourcerow USING gin "
    "(string_to_array(replace(filter_text, E'\\x1f', E'\\x1fr' || resource_id::text || 'c'), E'\\x1f'))",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS opendata_dataset_grams", "DROP INDEX IF EXISTS opendata_row_cells"]


def fill_grams(apps, schema_editor):
    Dataset = apps.get_model("opendata", "Dataset")
    changed = []
    for dataset in Dataset._base_manager.only("pk", "search_text").iterator(chunk_size=500):
        dataset.search_grams = grams(dataset.search_text)
        changed.append(dataset)
    Dataset._base_manager.bulk_update(changed, ["search_grams"], batch_size=500)


VALUE_COUNT_MIN_ROWS, VALUE_COUNT_MAX_LENGTH = 50, 200
CELLS = {
    "sqlite": """FROM opendata_resourcerow AS r, json_each(r."values") AS cell
        WHERE r.resource_id = %s AND cell.value <> ''""",
    "postgresql": """FROM opendata_resourcerow AS r
        CROSS JOIN LATERAL jsonb_array_elements_text(r."values") WITH ORDINALITY AS cell(value, key)
        WHERE r.resource_id = %s AND cell.value <> ''""",
}
COLUMN_INDEX = {"sqlite": "CAST(cell.key AS INTEGER)", "postgresql": "cell.key - 1"}


def fill_value_counts(apps, schema_editor):
    """As opendata.search_index.refresh_value_counts, for every tabular resource with rows."""
    vendor = schema_editor.connection.vendor
    if vendor not in CELLS:
        return
    Resource = apps.get_model("opendata", "Resource")
    ResourceRow = apps.get_model("opendata", "ResourceRow")
    ResourceValueCount = apps.get_model("opendata", "ResourceValueCount")
    column_index = COLUMN_INDEX[vendor]
    with_rows = ResourceRow._base_manager.values_list("resource_id").distinct()
    for resource in Resource._base_manager.filter(pk__in=with_rows).only("pk", "municipality_id", "columns"):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO opendata_resourcevaluecount (municipality_id, resource_id, column_index, value, rows) "
                f"SELECT %s, %s, {column_index}, cell.value, COUNT(*) {CELLS[vendor]} AND length(cell.value) <= %s "
                f"GROUP BY {column_index}, cell.value HAVING COUNT(*) >= %s",
                [resource.municipality_id, resource.pk, resource.pk, VALUE_COUNT_MAX_LENGTH, VALUE_COUNT_MIN_ROWS],
            )
            cursor.execute(f"SELECT {column_index}, COUNT(*) {CELLS[vendor]} GROUP BY {column_index}", [resource.pk])
            filled = dict(cursor.fetchall())
        total = ResourceRow._base_manager.filter(resource_id=resource.pk).count()
        ResourceValueCount._base_manager.bulk_create(
            ResourceValueCount(
                municipality_id=resource.municipality_id,
                resource_id=resource.pk,
                column_index=index,
                value="",
                rows=total - filled.get(index, 0),
            )
            for index in range(len(resource.columns))
        )


def create_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {
        "sqlite": [*SQLITE_TABLES, *SQLITE_FILL, *SQLITE_TRIGGERS],
        "postgresql": POSTGRES_CREATE,
    }.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_datasets_resources")]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="search_grams",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_grams, migrations.RunPython.noop),
        migrations.CreateModel(
            name="ResourceValueCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("column_index", models.PositiveSmallIntegerField()),
                ("value", models.CharField(blank=True, max_length=200)),
                ("rows", models.PositiveIntegerField()),
                (
                    "municipality",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="core.municipality", verbose_name="自治体"
                    ),
                ),
                (
                    "resource",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="value_counts",
                        to="opendata.resource",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("resource", "column_index", "value"), name="opendata_value_count_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_value_counts, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
