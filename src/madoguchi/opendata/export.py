"""Downloads of tabular resources: CSV (UTF-8 with BOM, CRLF, `<code>_<english id>.csv`), XLSX and JSON,
streamed from the stored rows so memory stays flat whatever the size."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from madoguchi.core.tenancy import municipality_scope

from .models import Resource, ResourceRow, row_dict
from .standards import get_standard

BOM = "\ufeff"
CHUNK = 2000
# Cells a spreadsheet would run as a formula; plain numbers such as "-1" (a basement floor) stay as they are.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if _FORMULA.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def iter_rows(resource: Resource) -> Iterator[dict[str, Any]]:
    """The rows in order, fetched in chunks by keyset (constant memory, no long-lived cursor). A streamed
    response runs after the view has returned, so the generator enters the municipality's scope itself."""
    columns = list(resource.columns)
    last = 0
    while True:
        with municipality_scope(resource.municipality_id):
            chunk = list(
                ResourceRow.objects.filter(resource=resource, number__gt=last)
                .order_by("number")
                .values_list("number", "values")[:CHUNK]
            )
        if not chunk:
            return
        for _number, values in chunk:
            yield row_dict(columns, values)
        last = chunk[-1][0]


def stream_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield BOM + writer.writerow(columns)
    for row in rows:
        yield writer.writerow([safe_cell(row.get(name, "")) for name in columns])


def csv_bytes_for_rows(columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(stream_csv(columns, rows)).encode("utf-8")


def stream_json(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    first = True
    for row in rows:
        yield ("" if first else ",") + json.dumps({name: row.get(name, "") for name in columns}, ensure_ascii=False)
        first = False
    yield "]"


def xlsx_bytes(columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    """XLSX (write-only mode). Every value is written as text, so codes keep their leading zeros."""
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(columns)
    for row in rows:
        sheet.append([safe_cell(row.get(name, "")) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_name(resource: Resource, extension: str) -> str:
    """`<6-digit code>_<english id>.<ext>` for standard datasets; the dataset name otherwise."""
    dataset = resource.dataset
    standard = get_standard(dataset.standard_number)
    if standard is not None:
        return standard.file_name(dataset.municipality.code, extension)
    return f"{dataset.municipality.code}_{dataset.name.replace('-', '_')}.{extension}"
