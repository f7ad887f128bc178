"""/api/v1/municipalities/{slug}/procedures: the catalogue, form definitions, and applications.

Creating an application runs the same server-side validation as the web journey (the API cannot bypass it)
and accepts an Idempotency-Key: a replay returns the first application, never a second one.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth

from madoguchi.core.api import CleanText, PageParams, api_municipality
from madoguchi.core.errors import ServiceError, error_body
from madoguchi.core.idempotency import run_idempotent
from madoguchi.core.selectors import module_is_enabled

from . import journey, selectors
from .manifest import KEY
from .models import IdentityLevel, Procedure, Submission

router = Router(tags=["procedures"])
router.add_router("", "madoguchi.procedures.staff_api.router")  # staff inbox, processing and export


class FeeOut(Schema):
    code: str
    name: str
    amount: int = Field(description="Yen")
    unit: str


class ProcedureOut(Schema):
    slug: str
    name: str
    name_kana: str
    name_en: str
    summary: str
    category: str
    life_events: list[str]
    department: str
    identity_level: str
    channel: str
    processing_days: int
    fees: list[FeeOut]
    online: bool = Field(description="A live online form exists")


class ProcedurePage(Schema):
    count: int
    items: list[ProcedureOut]


class ProcedureDetailOut(ProcedureOut):
    form: dict[str, Any] | None = Field(description="The live form definition (docs/form-definition.md)")
    form_version: int | None


class CatalogueFilters(PageParams):
    q: CleanText = Field("", max_length=100, description="Partial words, any script (住民票, じゅうみんひょう)")
    category: str = Field("", max_length=20)
    life_event: str = Field("", max_length=20)


class SubmissionIn(Schema):
    answers: dict[str, Any] = Field(description="Answers keyed by field id, as in docs/form-definition.md")


class SubmissionOut(Schema):
    id: str
    receipt_number: str
    procedure: str
    status: str
    fee_total: int
    submitted_at: datetime.datetime | None


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


def _procedure_out(procedure: Procedure, online_ids: set[int]) -> dict[str, Any]:
    return {
        "slug": procedure.slug,
        "name": procedure.name,
        "name_kana": procedure.name_kana,
        "name_en": procedure.name_en,
        "summary": procedure.summary,
        "category": procedure.category,
        "life_events": [link.event for link in procedure.life_event_links.all()],
        "department": procedure.department.slug,
        "identity_level": procedure.identity_level,
        "channel": procedure.channel,
        "processing_days": procedure.processing_days,
        "fees": [{"code": f.code, "name": f.name, "amount": f.amount, "unit": f.unit} for f in procedure.fees.all()],
        "online": procedure.pk in online_ids,
    }


def _submission_out(submission: Submission) -> dict[str, Any]:
    return {
        "id": str(submission.public_id),
        "receipt_number": submission.receipt_number,
        "procedure": submission.procedure.slug,
        "status": submission.status,
        "fee_total": submission.fee_total,
        "submitted_at": submission.submitted_at,
    }


def _online_ids(procedures: list[Procedure]) -> set[int]:
    from .models import FormVersion

    return set(
        FormVersion.objects.filter(procedure__in=procedures, status=FormVersion.Status.LIVE).values_list(
            "procedure_id", flat=True
        )
    )


@router.get("/{slug}/procedures", response=ProcedurePage, summary="Search the published procedure catalogue")
def procedure_list(request: HttpRequest, slug: str, filters: Query[CatalogueFilters]) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        queryset = selectors.procedure_search(
            municipality, query=filters.q, category=filters.category, life_event=filters.life_event
        )
        page = list(queryset[filters.offset : filters.offset + filters.limit])
        online = _online_ids(page)
        return {"count": queryset.count(), "items": [_procedure_out(p, online) for p in page]}


@router.get(
    "/{slug}/procedures/{procedure_slug}", response=ProcedureDetailOut, summary="One procedure and its live form"
)
def procedure_detail(request: HttpRequest, slug: str, procedure_slug: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        procedure = selectors.procedure_get_published(municipality, procedure_slug)
        version = selectors.live_form(procedure)
        out = _procedure_out(procedure, {procedure.pk} if version else set())
        return {
            **out,
            "form": version.definition if version else None,
            "form_version": version.number if version else None,
        }


@router.post(
    "/{slug}/procedures/{procedure_slug}/submissions",
    response={201: SubmissionOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=SessionAuth(),
    summary="Apply (signed-in resident; send Idempotency-Key to make retries safe)",
)
def submission_create(request: HttpRequest, slug: str, procedure_slug: str, payload: SubmissionIn) -> Status:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        procedure = selectors.procedure_get_published(municipality, procedure_slug)
        user = request.auth  # type: ignore[attr-defined]
        if procedure.identity_level == IdentityLevel.MY_NUMBER_CARD:
            from madoguchi.identity.selectors import session_identity_assurance

            if (session_identity_assurance(request) or {}).get("level") != "my_number_card":
                raise ServiceError(
                    "identity_required", _("この手続は、マイナンバーカードによる本人確認が必要です。"), status=403
                )

        def create() -> tuple[int, dict[str, Any]]:
            # A fresh draft, never the resident's web draft in progress; rolled back whole if invalid.
            draft = journey.draft_start(procedure=procedure, applicant=user, request=request, resume=False)
            draft = journey.draft_save(draft=draft, answers=payload.answers)
            return 201, _submission_out(journey.draft_submit(draft=draft, request=request))

        try:
            status, body = run_idempotent(request, scope=f"user:{user.pk}:submission:{procedure.pk}", operation=create)
        except journey.IncompleteAnswers as incomplete:
            return Status(422, error_body("validation_error", str(_("入力内容に問題があります。")), incomplete.errors))
        return Status(status, body)


@router.get(
    "/{slug}/submissions/{submission_id}",
    response={200: SubmissionOut, 401: ErrorOut, 404: ErrorOut},
    auth=SessionAuth(),
    summary="One of my applications",
)
def submission_status(request: HttpRequest, slug: str, submission_id: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        submission = selectors.submission_of_applicant(municipality, request.auth, submission_id)  # type: ignore[attr-defined]
        return _submission_out(submission)
