"""The 自治体標準オープンデータセット definitions, read from the JSON files in standards/ (one per dataset:
number, names, source URL and version, the columns in order with required/recommended marks, types and
vocabularies, and the legacy 推奨データセット header set with its mapping to the current names)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STANDARDS_DIR = Path(__file__).resolve().parent / "standards"
TOTAL_STANDARD_DATASETS = 31

COLUMN_TYPES = frozenset(
    {
        "string",
        "code",
        "latitude",
        "longitude",
        "phone",
        "yesno",
        "flag",
        "time",
        "date",
        "integer",
        "decimal",
        "url",
        "kana",
        "email",
    }
)
REQUIREMENTS = ("required", "recommended", "optional")


@dataclass(frozen=True)
class Column:
    name: str
    requirement: str
    type: str
    vocabulary: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.requirement == "required"


@dataclass(frozen=True)
class Standard:
    number: str
    name: str
    name_en: str
    english_id: str
    source_url: str
    version: str
    provenance: str
    columns: tuple[Column, ...]
    legacy_columns: tuple[str, ...]
    legacy_mapping: dict[str, str]
    legacy_source_url: str

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def file_name(self, municipality_code: str, extension: str = "csv") -> str:
        return f"{municipality_code}_{self.english_id}.{extension}"


def _load(path: Path) -> Standard:
    data = json.loads(path.read_text(encoding="utf-8"))
    columns = []
    for item in data["columns"]:
        if item["type"] not in COLUMN_TYPES or item["requirement"] not in REQUIREMENTS:
            raise ValueError(f"{path.name}: bad column {item!r}")
        columns.append(Column(item["name"], item["requirement"], item["type"], tuple(item.get("vocabulary", ()))))
    legacy = data.get("legacy") or {}
    return Standard(
        number=data["number"],
        name=data["name"],
        name_en=data["name_en"],
        english_id=data["english_id"],
        source_url=data["source_url"],
        version=data["version"],
        provenance=data.get("provenance", ""),
        columns=tuple(columns),
        legacy_columns=tuple(legacy.get("columns", ())),
        legacy_mapping=dict(legacy.get("mapping", {})),
        legacy_source_url=legacy.get("source_url", ""),
    )


@cache
def all_standards() -> dict[str, Standard]:
    found = {}
    for path in sorted(STANDARDS_DIR.glob("[0-9][0-9]_*.json")):
        standard = _load(path)
        found[standard.number] = standard
    return found


@cache
def standard_index() -> list[dict[str, str | None]]:
    """All 31 numbers of the current edition with their names (None where not identified)."""
    return json.loads((STANDARDS_DIR / "index.json").read_text(encoding="utf-8"))["datasets"]


def get_standard(number: str) -> Standard | None:
    return all_standards().get(number or "")


def standard_choices() -> list[tuple[str, str]]:
    return [(number, f"{number} {standard.name}") for number, standard in all_standards().items()]
