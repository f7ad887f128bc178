"""Export of applications for core systems (基幹系): CSV (UTF-8 with BOM so Excel opens it) or JSON, one row per
application, columns chosen per procedure (`Procedure.export_columns`, empty = every column), streamed so any
number of rows exports in constant memory, plus keyset pages for the API.

JSON is one streamed JSON array with one application object per line: any JSON parser reads the whole file,
a download cut short is invalid JSON instead of silently shorter data, and line-based tools can still take it
one line at a time. Values keep their types (fee and number answers are numbers, checkboxes booleans, multiple
choices and repeated groups lists, dates ISO 8601 strings, an unanswered question null).

A streamed body is produced after the view has returned, outside the request's municipality scope: the
generators here enter the scope themselves.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.csvexport import stream_csv
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope

from .engine.definition import ADDRESS_PARTS, NAME_PARTS, DefinitionError, FieldDef, validate_definition
from .engine.forms import PART_LABELS
from .models import FormVersion, Procedure, Submission

CHUNK_SIZE = 2000  # rows fetched per database round trip while streaming
FLUSH_BYTES = 64 * 1024  # rows are sent in pieces of about this size, not one tiny write per row
PAGE_SIZE_MAX = 1000  # rows per page of the paged JSON export


@dataclass(frozen=True)
class Column:
    key: str  # the header / JSON key, stable for core systems: "receipt_number", "applicant_name.family_name"
    label: str | Promise  # what staff see when choosing columns: 受付番号, 氏名（姓）
    field_id: str | None = None  # None for a standard column
    part: str | None = None
    field_type: str = ""


# The standard columns, in their default order (the first five are those of the first CSV export).
STANDARD_COLUMNS: tuple[Column, ...] = (
    Column("receipt_number", _("受付番号")),
    Column("status", _("状態")),
    Column("submitted_at", _("申請日時")),
    Column("applicant_email", _("申請者のメールアドレス")),
    Column("fee_total", _("手数料（円）")),
    Column("assignee", _("担当者")),
    Column("completed_at", _("完了日時")),
)
STANDARD_KEYS = frozenset(column.key for column in STANDARD_COLUMNS)


def _local_iso_in(tz: Any) -> Any:
    return lambda value: value.astimezone(tz).isoformat() if value else None


def _standard_getter(key: str, tz: Any) -> Any:
    """How to read one standard column from a row (chosen once per export, not once per cell)."""
    iso = _local_iso_in(tz)
    getters: dict[str, Any] = {
        "receipt_number": lambda s: s.receipt_number,
        "status": lambda s: s.status,
        "submitted_at": lambda s: iso(s.submitted_at),
        "applicant_email": lambda s: s.applicant.email if s.applicant_id else None,
        "fee_total": lambda s: s.fee_total,
        "assignee": lambda s: s.assignee.email if s.assignee_id else None,
        "completed_at": lambda s: iso(s.completed_at),
    }
    return getters.get(key, lambda s: None)


def _columns_of(field: FieldDef, language: str) -> list[Column]:
    """The columns of one question: 氏名 and 住所 become one column per part; a consent has none."""
    label = field.label.get(language)
    if field.type in ("name", "address"):
        parts = NAME_PARTS if field.type == "name" else ADDRESS_PARTS
        return [
            Column(
                f"{field.id}.{part}",
                _("%(field)s（%(part)s）") % {"field": label, "part": PART_LABELS[part]},
                field.id,
                part,
                field.type,
            )
            for part in parts
        ]
    if field.type == "consent":
        return []
    return [Column(field.id, label, field.id, None, field.type)]


def answer_columns(versions: Iterable[FormVersion]) -> list[Column]:
    """The union of the answer columns of these form versions, in question order (newest version first)."""
    language = (get_language() or "ja")[:2]
    seen: dict[str, Column] = {}
    for version in sorted(versions, key=lambda v: -v.number):
        try:
            definition = validate_definition(version.definition)
        except DefinitionError:
            continue
        for page in definition.pages:
            for field in page.fields:
                for column in _columns_of(field, language):
                    seen.setdefault(column.key, column)
    return list(seen.values())


def available_columns(procedure: Procedure) -> list[Column]:
    """Every column staff can choose for this procedure: the standard ones, then every form version's answers."""
    return [*STANDARD_COLUMNS, *answer_columns(FormVersion.objects.filter(procedure=procedure))]


def chosen_columns(procedure: Procedure, versions: Iterable[FormVersion]) -> list[Column]:
    """The columns of an export: the procedure's configured ones in their order, or every column. A configured
    answer column the forms no longer have stays in place (empty), so a core system's import layout holds."""
    answers = answer_columns(versions)
    if not procedure.export_columns:
        return [*STANDARD_COLUMNS, *answers]
    known = {column.key: column for column in (*STANDARD_COLUMNS, *answers)}
    columns = []
    for key in procedure.export_columns:
        if key in known:
            columns.append(known[key])
        else:
            field_id, _dot, part = key.partition(".")
            columns.append(Column(key, key, field_id, part or None))
    return columns


def _answer_getter(column: Column) -> Any:
    """How to read one answer column with its JSON type kept (None when unanswered)."""
    field_id, part = column.field_id or "", column.part

    if part is not None:

        def get_part(answers: dict[str, Any]) -> Any:
            value = answers.get(field_id)
            found = value.get(part) if isinstance(value, dict) else None
            return found if found not in ("", None) else None

        return get_part
    is_file = column.field_type == "file"

    def get(answers: dict[str, Any]) -> Any:
        value = answers.get(field_id)
        if value is None or value == "" or value == [] or value == {}:
            return None
        if is_file and isinstance(value, dict):
            return {key: value[key] for key in ("name", "size", "content_type") if key in value}
        return value

    return get


def row_reader(columns: list[Column]) -> Any:
    """A function giving one application's values for these columns, in order."""
    tz = timezone.get_current_timezone()
    getters = [
        (True, _standard_getter(c.key, tz)) if c.field_id is None else (False, _answer_getter(c)) for c in columns
    ]

    def read(submission: Submission) -> list[Any]:
        answers = submission.answers if isinstance(submission.answers, dict) else {}
        return [get(submission) if standard else get(answers) for standard, get in getters]

    return read


def _csv_cell(value: Any) -> Any:
    """A typed value as one CSV cell (stream_csv neutralises formulas)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return value.get("name") or json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _buffered(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces into writes of about FLUSH_BYTES characters."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= FLUSH_BYTES:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


EXPORT_FIELDS = (
    "receipt_number",
    "status",
    "submitted_at",
    "completed_at",
    "fee_total",
    "answers",
    "applicant__email",
    "assignee__email",
)


def _ordered(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    # Only what a row needs: the inbox's other joins (procedure, department, whole user rows) would multiply
    # the memory of every fetched chunk.
    return (
        submissions.filter(submitted_at__isnull=False)
        .select_related(None)
        .select_related("applicant", "assignee")
        .only(*EXPORT_FIELDS)
        .order_by("submitted_at", "pk")
    )


def export_columns_for(procedure: Procedure) -> list[Column]:
    """The columns of every export of this procedure. Without a configuration: every column of every form
    version, so the streamed file and every page of the paged export have the same columns."""
    return chosen_columns(procedure, FormVersion.objects.filter(procedure=procedure))


def csv_rows(submissions: QuerySet[Submission], municipality: Municipality, procedure: Procedure) -> Iterator[str]:
    with municipality_scope(municipality):
        columns = export_columns_for(procedure)
        read = row_reader(columns)
        rows = (
            [_csv_cell(value) for value in read(submission)]
            for submission in _ordered(submissions).iterator(chunk_size=CHUNK_SIZE)
        )
        yield from _buffered(stream_csv([column.key for column in columns], rows))


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def json_objects(columns: list[Column]) -> Any:
    """A function giving one application as a JSON object: keys as the columns, values typed."""
    keys = [column.key for column in columns]
    read = row_reader(columns)
    return lambda submission: dict(zip(keys, read(submission), strict=True))


def json_rows(submissions: QuerySet[Submission], municipality: Municipality, procedure: Procedure) -> Iterator[str]:
    with municipality_scope(municipality):
        as_object = json_objects(export_columns_for(procedure))

        def pieces() -> Iterator[str]:
            yield "["
            separator = "\n"
            for submission in _ordered(submissions).iterator(chunk_size=CHUNK_SIZE):
                yield separator + _json_dumps(as_object(submission))
                separator = ",\n"
            yield "\n]\n"

        yield from _buffered(pieces())


def export_response(
    request: HttpRequest,
    items: QuerySet[Submission],
    *,
    procedure: Procedure,
    kind: str,
    actor: Any,
    filters: dict[str, Any],
) -> StreamingHttpResponse:
    """Audit the export (with the number of applications), then stream it as CSV or JSON. Used by the inbox
    and the staff API; `items` is already limited to what the actor may see."""
    municipality = procedure.municipality
    audit_record(
        action="submission.exported",
        actor=actor,
        municipality=municipality,
        object_type="procedure",
        object_id=str(procedure.public_id),
        request=request,
        details={
            "count": items.count(),
            "format": kind,
            "filters": {key: str(value) for key, value in filters.items() if value not in ("", None)},
        },
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if kind == "json":
        response = StreamingHttpResponse(
            json_rows(items, municipality, procedure), content_type="application/json; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            csv_rows(items, municipality, procedure), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{procedure.slug}-{stamp}.{kind}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Keyset pages (the API's paged JSON export) ----------------------------------------------------------------

_CURSOR_SALT = "madoguchi.procedures.export.cursor"


def cursor_encode(procedure: Procedure, submission: Submission) -> str:
    """An opaque, signed position: after this application in (submitted_at, id) order, for this procedure."""
    assert submission.submitted_at is not None
    payload = {"p": procedure.pk, "t": submission.submitted_at.isoformat(), "i": submission.pk}
    return signing.Signer(salt=_CURSOR_SALT).sign_object(payload)


def cursor_decode(procedure: Procedure, cursor: str) -> tuple[datetime.datetime, int]:
    invalid = ServiceError(
        "cursor_invalid",
        _("cursor が正しくありません。前のページの next_cursor をそのまま渡してください。"),
        field="cursor",
        status=422,
    )
    if len(cursor) > 500:
        raise invalid
    try:
        payload = signing.Signer(salt=_CURSOR_SALT).unsign_object(cursor)
        when = datetime.datetime.fromisoformat(payload["t"])
        pk = int(payload["i"])
        procedure_pk = int(payload["p"])
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        raise invalid from None
    if procedure_pk != procedure.pk or timezone.is_naive(when):
        raise invalid
    return when, pk


def export_page(
    submissions: QuerySet[Submission], procedure: Procedure, *, cursor: str, limit: int
) -> tuple[list[Submission], str | None]:
    """One page in (submitted_at, id) order after `cursor` ("" = the start), and the cursor of the next page
    (None on the last). Keyset, not offset: rows added or changed meanwhile never shift what the next page
    returns, and a page costs the same at row 100,000 as at row 1."""
    queryset = _ordered(submissions)
    if cursor:
        when, pk = cursor_decode(procedure, cursor)
        queryset = queryset.filter(Q(submitted_at__gt=when) | Q(submitted_at=when, pk__gt=pk))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, cursor_encode(procedure, rows[-1]) if more and rows else None
