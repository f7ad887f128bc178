"""Streaming CSV for staff exports: UTF-8 with BOM (Excel reads it as UTF-8) and every cell neutralised against
spreadsheet formulas (CSV injection), since cells carry what residents and clients typed."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def stream_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The BOM, the header, then one line per row, produced lazily (constant memory for any number of rows)."""
    writer = csv.writer(_Echo())
    yield BOM
    yield writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
