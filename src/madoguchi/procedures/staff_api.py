"""Staff API of the procedures module (/api/v1/municipalities/{slug}/applications…, …/procedures/{p}/applications/
export…): the inbox, one application, the processing actions and the export for core systems (基幹系).

Callers are another system with an API token (`Authorization: Bearer mdg_…`, core/apitokens.py) or the back
office's session with its second factor. Both see exactly what the HTML inbox would show them: their
departments' applications only (`department_scope`, tokens limited to departments too), another
municipality's ids are 404. Every write goes through procedures/submissions.py and accepts an
Idempotency-Key; every read of applications is in the audit log.
"""

import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from madoguchi.accounts.permissions import Perm
from madoguchi.audit.services import audit_personal_data_viewed, audit_record
from madoguchi.core.api import CleanText
from madoguchi.core.apitokens import STAFF_API_AUTH, ApiTokenActor, actor_key, staff_api_access
from madoguchi.core.dates import DateParseError, parse_date
from madoguchi.core.errors import ServiceError
from madoguchi.core.idempotency import run_idempotent
from madoguchi.core.models import Municipality
from madoguchi.core.selectors import module_is_enabled

from . import selectors, submissions
from .engine.definition import DefinitionError, validate_definition
from .engine.summary import SummaryRow, summarise
from .export import PAGE_SIZE_MAX, export_columns_for, export_page, export_response, json_objects
from .manifest import KEY
from .models import STAFF_TRANSITIONS, Procedure, Submission, SubmissionStatus

router = Router(tags=["procedures (staff)"])

StatusFilter = Literal[
    "", "submitted", "accepted", "in_review", "correction_requested", "completed", "rejected", "withdrawn"
]
TargetStatus = Literal["accepted", "in_review", "completed", "rejected"]


# --- Schemas ------------------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class DateRange(Schema):
    submitted_from: CleanText = Field(
        "", max_length=30, description="First day (inclusive, Japan time): 2026-04-01, 20260401 or 令和8年4月1日"
    )
    submitted_to: CleanText = Field("", max_length=30, description="Last day (inclusive, Japan time)")


class InboxFilters(DateRange):
    limit: int = Field(20, ge=1, le=settings.API_PAGE_SIZE_MAX, description="Items per page (max 100).")
    offset: int = Field(0, ge=0, le=1_000_000)
    procedure: str = Field("", max_length=60, description="Procedure slug")
    status: StatusFilter = Field("", description="Empty for every status except drafts")
    assignee: Literal["", "me", "none"] = Field("", description='"me" (session only), "none" or empty for all')
    q: CleanText = Field("", max_length=100, description="Receipt number (exact) or part of the applicant's e-mail")


class ExportParams(DateRange):
    format: Literal["csv", "json"] = Field("csv", description="csv: UTF-8 with BOM; json: one streamed array")


class ExportPageParams(DateRange):
    limit: int = Field(100, ge=1, le=PAGE_SIZE_MAX, description=f"Rows per page (max {PAGE_SIZE_MAX}).")
    cursor: str = Field("", max_length=2000, description="next_cursor of the previous page; empty for the first")


class ApplicationOut(Schema):
    id: str = Field(description="Public id (UUID)")
    receipt_number: str
    procedure: str = Field(description="Procedure slug")
    department: str = Field(description="Department slug")
    status: str
    status_label: str
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime
    completed_at: datetime.datetime | None
    applicant_email: str | None
    assignee: str | None = Field(description="E-mail of the staff member in charge")
    fee_total: int = Field(description="Yen")


class ApplicationPage(Schema):
    count: int
    items: list[ApplicationOut]


class SummaryRowOut(Schema):
    field_id: str
    label: str
    value: str
    answered: bool
    items: list[dict[str, Any]] = Field(description="Repeated groups: one entry per item with its rows")


class SummarySectionOut(Schema):
    page_id: str
    title: str
    rows: list[SummaryRowOut]


class EventOut(Schema):
    kind: str
    occurred_at: datetime.datetime
    actor: str | None
    from_status: str
    to_status: str
    text: str
    internal: bool


class StaffMemberOut(Schema):
    id: str
    email: str
    name: str


class ApplicationDetailOut(ApplicationOut):
    form_version: int
    answers: dict[str, Any]
    summary: list[SummarySectionOut] = Field(description="The answers as staff read them, in the active language")
    history: list[EventOut]
    correction_fields: list[str]
    allowed_statuses: list[str] = Field(description="What POST …/status accepts now")
    assignable_staff: list[StaffMemberOut]


class StatusIn(Schema):
    status: TargetStatus
    text: CleanText = Field("", max_length=5000, description="Told to the applicant; required when rejecting")


class CorrectionIn(Schema):
    fields: list[str] = Field(max_length=200, description="Field ids of the answers to correct")
    message: CleanText = Field(max_length=5000)


class TextIn(Schema):
    text: CleanText = Field(max_length=5000)


class AssignIn(Schema):
    assignee: str | None = Field(max_length=64, description="Staff member id (assignable_staff), or null for nobody")


class ExportPageOut(Schema):
    columns: list[str]
    items: list[dict[str, Any]] = Field(description="One object per application, keys as in columns, values typed")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page")


# --- Helpers ------------------------------------------------------------------------------------------------


def _module(municipality: Municipality) -> None:
    if not module_is_enabled(municipality, KEY):
        raise Http404


def _date(value: str, field: str) -> datetime.date | None:
    if not value.strip():
        return None
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise ServiceError("validation_error", str(exc), field=field, status=422) from exc


def _date_range(params: DateRange) -> tuple[datetime.date | None, datetime.date | None]:
    start = _date(params.submitted_from, "submitted_from")
    end = _date(params.submitted_to, "submitted_to")
    if start and end and start > end:
        raise ServiceError(
            "validation_error", _("終了日は開始日以降の日付にしてください。"), field="submitted_to", status=422
        )
    return start, end


def _procedure(municipality: Municipality, actor: Any, slug: str) -> Procedure:
    """One of the procedures this caller may see (another 課's or municipality's is a 404)."""
    procedure = selectors.procedure_list_for_staff(municipality, actor).filter(slug=slug).first()
    if procedure is None:
        raise Http404
    return procedure


def _application_out(submission: Submission) -> dict[str, Any]:
    return {
        "id": str(submission.public_id),
        "receipt_number": submission.receipt_number,
        "procedure": submission.procedure.slug,
        "department": submission.department.slug,
        "status": submission.status,
        "status_label": str(submission.get_status_display()),
        "submitted_at": submission.submitted_at,
        "updated_at": submission.updated_at,
        "completed_at": submission.completed_at,
        "applicant_email": submission.applicant.email if submission.applicant else None,
        "assignee": submission.assignee.email if submission.assignee else None,
        "fee_total": submission.fee_total,
    }


def _row_out(row: SummaryRow) -> dict[str, Any]:
    return {
        "field_id": row.field_id,
        "label": row.label,
        "value": row.value,
        "answered": row.answered,
        "items": [{"label": item.label, "rows": [_row_out(sub) for sub in item.rows]} for item in row.items],
    }


def _detail_out(submission: Submission) -> dict[str, Any]:
    try:
        definition = validate_definition(submission.form_version.definition)
    except DefinitionError:
        definition = None
    sections = summarise(definition, submission.answers, language=get_language()) if definition else []
    allowed = sorted(STAFF_TRANSITIONS.get(submission.status, frozenset()))
    return {
        **_application_out(submission),
        "form_version": submission.form_version.number,
        "answers": submission.answers,
        "summary": [
            {"page_id": s.page_id, "title": s.title, "rows": [_row_out(row) for row in s.rows]} for s in sections
        ],
        "history": [
            {
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "actor": event.actor.email if event.actor else (event.actor_label or None),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "text": event.text,
                "internal": event.internal,
            }
            for event in submission.events.all()
        ],
        "correction_fields": list(submission.correction_fields or []),
        "allowed_statuses": [status for status in allowed if status != SubmissionStatus.CORRECTION_REQUESTED],
        "assignable_staff": [
            {"id": str(user.public_id), "email": user.email, "name": user.display_name}
            for user in selectors.submission_assignable_staff(submission)
        ],
    }


def _submission(request: HttpRequest, municipality: Municipality, application_id: str) -> Submission:
    return selectors.submission_get_for_staff(municipality, request.auth, application_id)  # type: ignore[attr-defined]


# --- Reads --------------------------------------------------------------------------------------------------


@router.get(
    "/{slug}/applications",
    response={200: ApplicationPage, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Staff inbox: applications with the inbox's filters (token or staff session)",
)
def application_list(request: HttpRequest, slug: str, filters: Query[InboxFilters]) -> dict[str, Any]:
    with staff_api_access(request, slug, permission=Perm.PROCEDURES_MANAGE, write=False) as municipality:
        _module(municipality)
        actor = request.auth  # type: ignore[attr-defined]
        start, end = _date_range(filters)
        if filters.assignee == "me" and isinstance(actor, ApiTokenActor):
            raise ServiceError(
                "validation_error",
                _("APIトークンには担当者としての自分がありません。me ではなく none か空欄を使ってください。"),
                field="assignee",
                status=422,
            )
        procedure = None
        if filters.procedure:
            procedure = selectors.procedure_list_for_staff(municipality, actor).filter(slug=filters.procedure).first()
            if procedure is None:
                raise ServiceError("validation_error", _("この手続は選べません。"), field="procedure", status=422)
        queryset = selectors.submission_inbox(
            municipality,
            actor,
            procedure=procedure,
            status=filters.status,
            date_from=start,
            date_to=end,
            assignee=filters.assignee,
            query=filters.q,
        )
        count = queryset.count()
        page = list(queryset[filters.offset : filters.offset + filters.limit])
        # The list names applicants (their e-mail addresses): a search of personal data, logged with its size.
        audit_record(
            action="personal_data.search",
            actor=actor,
            municipality=municipality,
            object_type="submission",
            request=request,
            details={"count": count, "returned": len(page), "via": "api"},
        )
        return {"count": count, "items": [_application_out(s) for s in page]}


@router.get(
    "/{slug}/applications/{application_id}",
    response={200: ApplicationDetailOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="One application: answers, readable summary and history (logged as a personal-data view)",
)
def application_detail(request: HttpRequest, slug: str, application_id: str) -> dict[str, Any]:
    with staff_api_access(request, slug, permission=Perm.PROCEDURES_MANAGE, write=False) as municipality:
        _module(municipality)
        submission = _submission(request, municipality, application_id)
        audit_personal_data_viewed(
            actor=request.auth,  # type: ignore[attr-defined]
            municipality=municipality,
            object_type="submission",
            object_id=submission.receipt_number,
            fields=sorted(submission.answers),
            request=request,
        )
        return _detail_out(submission)


# --- Writes (idempotent with Idempotency-Key) ----------------------------------------------------------------


def _write(request: HttpRequest, slug: str, application_id: str, action: str, change: Any) -> Status:
    """Run one processing action on an application once per Idempotency-Key, answering with the application."""
    with staff_api_access(request, slug, permission=Perm.PROCEDURES_MANAGE, write=True) as municipality:
        _module(municipality)
        actor = request.auth  # type: ignore[attr-defined]
        submission = _submission(request, municipality, application_id)

        def operation() -> tuple[int, dict[str, Any]]:
            change(submission, actor)
            fresh = selectors.submission_inbox(municipality, actor).get(pk=submission.pk)
            return 200, _application_out(fresh)

        status, body = run_idempotent(
            request, scope=f"{actor_key(actor)}:submission_{action}:{submission.pk}", operation=operation
        )
        return Status(status, body)


@router.post(
    "/{slug}/applications/{application_id}/status",
    response={200: ApplicationOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Change the status (受付 / 審査中 / 完了 / 却下; a reason is required to reject)",
)
def application_status(request: HttpRequest, slug: str, application_id: str, payload: StatusIn) -> Status:
    def change(submission: Submission, actor: Any) -> None:
        submissions.submission_change_status(
            submission=submission, actor=actor, to_status=payload.status, text=payload.text, request=request
        )

    return _write(request, slug, application_id, "status", change)


@router.post(
    "/{slug}/applications/{application_id}/correction",
    response={200: ApplicationOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Request a correction (補正依頼) of the named answers",
)
def application_correction(request: HttpRequest, slug: str, application_id: str, payload: CorrectionIn) -> Status:
    def change(submission: Submission, actor: Any) -> None:
        submissions.submission_request_correction(
            submission=submission, actor=actor, fields=payload.fields, message=payload.message, request=request
        )

    return _write(request, slug, application_id, "correction", change)


@router.post(
    "/{slug}/applications/{application_id}/notes",
    response={200: ApplicationOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Add an internal note (never shown to the applicant)",
)
def application_note(request: HttpRequest, slug: str, application_id: str, payload: TextIn) -> Status:
    def change(submission: Submission, actor: Any) -> None:
        submissions.submission_add_note(submission=submission, actor=actor, text=payload.text, request=request)

    return _write(request, slug, application_id, "note", change)


@router.post(
    "/{slug}/applications/{application_id}/messages",
    response={200: ApplicationOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Send a message to the applicant (by e-mail and on their status page)",
)
def application_message(request: HttpRequest, slug: str, application_id: str, payload: TextIn) -> Status:
    def change(submission: Submission, actor: Any) -> None:
        submissions.submission_message_applicant(submission=submission, actor=actor, text=payload.text, request=request)

    return _write(request, slug, application_id, "message", change)


@router.post(
    "/{slug}/applications/{application_id}/assignment",
    response={200: ApplicationOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Give the application to a staff member (assignable_staff of the detail) or to nobody",
)
def application_assign(request: HttpRequest, slug: str, application_id: str, payload: AssignIn) -> Status:
    def change(submission: Submission, actor: Any) -> None:
        assignee = None
        if payload.assignee:
            staff = selectors.submission_assignable_staff(submission)
            assignee = next((user for user in staff if str(user.public_id) == payload.assignee), None)
            if assignee is None:
                raise ServiceError(
                    "assignee_invalid", _("この申請を担当できる職員を選んでください。"), field="assignee", status=422
                )
        submissions.submission_assign(submission=submission, actor=actor, assignee=assignee, request=request)

    return _write(request, slug, application_id, "assign", change)


# --- Export for core systems -----------------------------------------------------------------------------------


@router.get(
    "/{slug}/procedures/{procedure_slug}/applications/export",
    response={200: None, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="Export one procedure's applications (streamed CSV with BOM, or a streamed JSON array)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file: columns as configured for the procedure (all when none are configured)",
                "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {}}},
            }
        }
    },
)
def application_export(
    request: HttpRequest, slug: str, procedure_slug: str, params: Query[ExportParams]
) -> StreamingHttpResponse:
    with staff_api_access(request, slug, permission=Perm.PROCEDURES_MANAGE, write=False) as municipality:
        _module(municipality)
        actor = request.auth  # type: ignore[attr-defined]
        procedure = _procedure(municipality, actor, procedure_slug)
        start, end = _date_range(params)
        items = selectors.submission_inbox(municipality, actor, procedure=procedure, date_from=start, date_to=end)
        return export_response(
            request,
            items,
            procedure=procedure,
            kind=params.format,
            actor=actor,
            filters={"submitted_from": start, "submitted_to": end, "via": "api"},
        )


@router.get(
    "/{slug}/procedures/{procedure_slug}/applications/export/pages",
    response={200: ExportPageOut, **ERRORS},
    auth=STAFF_API_AUTH,
    summary="The same export as JSON pages with a keyset cursor (stable while applications arrive)",
)
def application_export_page(
    request: HttpRequest, slug: str, procedure_slug: str, params: Query[ExportPageParams]
) -> dict[str, Any]:
    with staff_api_access(request, slug, permission=Perm.PROCEDURES_MANAGE, write=False) as municipality:
        _module(municipality)
        actor = request.auth  # type: ignore[attr-defined]
        procedure = _procedure(municipality, actor, procedure_slug)
        start, end = _date_range(params)
        items = selectors.submission_inbox(municipality, actor, procedure=procedure, date_from=start, date_to=end)
        rows, next_cursor = export_page(items, procedure, cursor=params.cursor, limit=params.limit)
        columns = export_columns_for(procedure)
        as_object = json_objects(columns)
        audit_record(
            action="submission.exported",
            actor=actor,
            municipality=municipality,
            object_type="procedure",
            object_id=str(procedure.public_id),
            request=request,
            details={"count": len(rows), "format": "json-page", "first_page": not params.cursor, "via": "api"},
        )
        return {
            "columns": [column.key for column in columns],
            "items": [as_object(row) for row in rows],
            "next_cursor": next_cursor,
        }
