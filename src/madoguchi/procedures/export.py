"""CSV export of applications for core systems (基幹系): UTF-8 with BOM so Excel opens it, one row per
application, columns from the form definition, streamed so any number of rows exports in constant memory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from madoguchi.core.csvexport import stream_csv
from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope

from .engine.definition import ADDRESS_PARTS, NAME_PARTS, FieldDef, validate_definition
from .models import FormVersion, Submission

FIXED_COLUMNS = ("receipt_number", "status", "submitted_at", "applicant_email", "fee_total")


def _columns_of(field: FieldDef) -> list[tuple[str, str, str | None]]:
    """(column name, field id, part) for one field: 氏名 and 住所 become one column per part."""
    if field.type == "name":
        return [(f"{field.id}.{part}", field.id, part) for part in NAME_PARTS]
    if field.type == "address":
        return [(f"{field.id}.{part}", field.id, part) for part in ADDRESS_PARTS]
    if field.type == "consent":
        return []
    return [(field.id, field.id, None)]


def columns_for(versions: Iterable[FormVersion]) -> list[tuple[str, str, str | None]]:
    """The union of the answer columns of these form versions, in question order (newest version first)."""
    seen: dict[str, tuple[str, str, str | None]] = {}
    for version in sorted(versions, key=lambda v: -v.number):
        definition = validate_definition(version.definition)
        for page in definition.pages:
            for field in page.fields:
                for column in _columns_of(field):
                    seen.setdefault(column[0], column)
    return list(seen.values())


def _cell(answers: dict[str, Any], field_id: str, part: str | None) -> Any:
    """One answer as a cell value (stream_csv neutralises formulas)."""
    value = answers.get(field_id)
    if part is not None:
        return value.get(part, "") if isinstance(value, dict) else ""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return value.get("name") or json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def csv_rows(submissions: QuerySet[Submission], municipality: Municipality) -> Iterator[str]:
    # A streamed body is produced after the view has returned, outside the request's municipality scope:
    # the generator enters the scope itself.
    with municipality_scope(municipality):
        yield from _rows(submissions)


def _rows(submissions: QuerySet[Submission]) -> Iterator[str]:
    versions = FormVersion.objects.filter(pk__in=submissions.values("form_version_id"))
    columns = columns_for(versions)
    rows = (
        [
            submission.receipt_number,
            submission.status,
            timezone.localtime(submission.submitted_at).isoformat() if submission.submitted_at else "",
            submission.applicant.email if submission.applicant else "",
            submission.fee_total,
            *(_cell(submission.answers, field_id, part) for _name, field_id, part in columns),
        ]
        for submission in submissions.select_related("applicant").iterator(chunk_size=2000)
    )
    yield from stream_csv([*FIXED_COLUMNS, *(name for name, _field, _part in columns)], rows)
