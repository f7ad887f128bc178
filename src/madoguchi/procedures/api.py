"""/api/v1/municipalities/{slug}/procedures: the catalogue, form definitions, and applications.

Creating an application runs the same server-side validation as the web journey (the API cannot bypass it)
and accepts an Idempotency-Key: a replay returns the first application, never a second one.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth
from pydantic import ValidationError as PydanticValidationError

from madoguchi.core.api import CleanText, PageParams, api_municipality
from madoguchi.core.errors import ServiceError, error_body
from madoguchi.core.idempotency import earlier_response, run_idempotent
from madoguchi.core.ratelimit import api_rate_limit
from madoguchi.core.selectors import module_is_enabled

from . import files, journey, selectors
from .engine.definition import FieldDef, FormDefinition, validate_definition
from .manifest import KEY
from .models import FormVersion, IdentityLevel, Procedure, Submission
from .uploads import PreparedUpload, UploadRefused, prepare_upload, refused_in_request

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


class PaymentOut(Schema):
    status: str = Field(description="pending, paid, partially_refunded, refunded, failed, cancelled or expired")
    method: str = Field(description="counter (窓口払い) or card")
    amount: int = Field(description="Yen")
    receipt_number: str = Field(description="領収番号, once paid")


class SubmissionOut(Schema):
    id: str
    receipt_number: str
    procedure: str
    status: str
    fee_total: int
    submitted_at: datetime.datetime | None
    payment: PaymentOut | None = Field(None, description="The fee's payment, when a fee is due")


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
    payment = None
    if submission.fee_total:  # no fee, no payment: spare the query
        from madoguchi.payments.selectors import payment_live_for_object

        from .journey import PAYMENT_PURPOSE

        live = payment_live_for_object(submission.municipality, PAYMENT_PURPOSE, str(submission.public_id))
        if live is not None:
            payment = {
                "status": live.status,
                "method": live.method,
                "amount": live.amount,
                "receipt_number": live.receipt_number,
            }
    return {
        "id": str(submission.public_id),
        "receipt_number": submission.receipt_number,
        "procedure": submission.procedure.slug,
        "status": submission.status,
        "fee_total": submission.fee_total,
        "submitted_at": submission.submitted_at,
        "payment": payment,
    }


def _online_ids(procedures: list[Procedure]) -> set[int]:
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


MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["answers"],
    "properties": {
        "answers": {
            "type": "string",
            "description": "The answers as JSON (an object keyed by field id), without the file fields",
        }
    },
    "additionalProperties": {
        "type": "string",
        "format": "binary",
        "description": "One file per file field, named by field id (inside a repeated group <group>__<n>__<member>)",
    },
}


def _read_answers(request: HttpRequest) -> dict[str, Any]:
    """The answers of a JSON body ({"answers": {...}}) or of a multipart body's "answers" part."""
    multipart = request.content_type == "multipart/form-data"
    raw: Any = request.POST.get("answers") if multipart else request.body
    if raw is None:
        raise ServiceError(
            "validation_error", _("answers の項目に回答（JSON）を入れて送ってください。"), field="answers", status=422
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError("bad_request", _("送信された内容をJSONとして読み取れません。")) from exc
    try:
        return SubmissionIn.model_validate({"answers": data} if multipart else data).answers
    except PydanticValidationError as exc:
        raise ServiceError(
            "validation_error",
            _("answers は項目IDをキーにしたJSONオブジェクトにしてください。"),
            field="answers",
            status=422,
        ) from exc


_GROUP_PART = re.compile(r"^([a-z][a-z0-9_]{0,39})__(\d{1,3})__([a-z][a-z0-9_]{0,39})$")


def _place_file(
    definition: FormDefinition, answers: dict[str, Any], name: str, value: dict[str, Any]
) -> FieldDef | None:
    """Put a file's metadata where the part's name says (a field id, or <group>__<n>__<member>)."""
    member = definition.field(name)
    if member is not None and member.type == "file":
        answers[name] = value
        return member
    match = _GROUP_PART.match(name)
    group = definition.field(match.group(1)) if match else None
    if match is None or group is None or group.type != "repeated_group":
        return None
    sub = group.member(match.group(3))
    index = int(match.group(2))
    if sub is None or sub.type != "file" or index >= group.max_items:
        return None
    items = answers.get(group.id)
    items = list(items) if isinstance(items, list) else []
    while len(items) <= index:
        items.append({})
    item = dict(items[index]) if isinstance(items[index], dict) else {}
    item[sub.id] = value
    items[index] = item
    answers[group.id] = items
    return sub


def _read_files(
    definition: FormDefinition, answers: dict[str, Any], request: HttpRequest
) -> tuple[dict[str, Any], list[PreparedUpload]]:
    """Check every file part exactly as the web pages do and put its metadata into the answers."""
    errors: dict[str, list[str]] = {name: [message] for name, message in refused_in_request(request).items()}
    uploads: list[PreparedUpload] = []
    answers = dict(answers)
    for name in request.FILES:
        parts = request.FILES.getlist(name)
        probe = _place_file(definition, {}, name, {})
        if probe is None:
            errors[name] = [str(_("この名前のファイル項目はこの手続のフォームにありません。"))]
            continue
        if len(parts) > 1:
            errors[name] = [str(_("1つの項目に送れるファイルは1つです。"))]
            continue
        try:
            prepared = prepare_upload(parts[0], kinds=probe.kinds, max_bytes=probe.max_bytes, field_name=name)
        except UploadRefused as refused:
            errors[name] = [str(refused.message)]
            continue
        _place_file(definition, answers, name, prepared.metadata())
        uploads.append(prepared)
    if errors:
        raise journey.IncompleteAnswers(errors)
    return answers, uploads


@router.post(
    "/{slug}/procedures/{procedure_slug}/submissions",
    response={201: SubmissionOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=SessionAuth(),
    summary="Apply (signed-in resident; send Idempotency-Key to make retries safe)",
    description=(
        'JSON ({"answers": {...}}) or, with files, multipart/form-data: an `answers` part holding the answers '
        "as JSON and one file part per file field, named by field id. Files are checked by content (type, "
        "size, scripts in PDFs) exactly as on the web pages; images are re-encoded without metadata. "
        "The Idempotency-Key fingerprint of a multipart body covers the answers part and each file's name "
        "and SHA-256, not the multipart boundary, so a retry with the same content replays."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": SubmissionIn.model_json_schema()},
                "multipart/form-data": {"schema": MULTIPART_SCHEMA},
            },
        }
    },
)
def submission_create(request: HttpRequest, slug: str, procedure_slug: str) -> Status:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        procedure, version = selectors.procedure_and_live_form_for_applying(municipality, procedure_slug)
        user = request.auth  # type: ignore[attr-defined]
        api_rate_limit(request, "api_application")  # before reading files: a flood costs no image decoding
        if procedure.identity_level == IdentityLevel.MY_NUMBER_CARD:
            from madoguchi.identity.selectors import session_identity_assurance

            if (session_identity_assurance(request) or {}).get("level") != "my_number_card":
                raise ServiceError(
                    "identity_required", _("この手続は、マイナンバーカードによる本人確認が必要です。"), status=403
                )
        answers = _read_answers(request)
        scope = f"user:{user.pk}:submission:{procedure.pk}"
        try:
            # Everything that needs no database write — decoding and re-encoding images, checking every answer
            # and the fee — happens before the transaction, so it holds no lock (SQLite's write lock, the
            # receipt counter's row) while other applications wait. A replay is checked again, then answered
            # from its idempotency record; an invalid application was never recorded.
            checked = _checked_application(procedure, version, answers, request)
        except ServiceError as refused:
            earlier = earlier_response(request, scope=scope)  # a key already used is answered as before
            if earlier is not None:
                return Status(*earlier)
            if isinstance(refused, journey.IncompleteAnswers):
                return Status(422, error_body("validation_error", str(_("入力内容に問題があります。")), refused.errors))
            raise

        def create() -> tuple[int, dict[str, Any]]:
            # A new application from the answers sent, never the resident's web draft in progress.
            return 201, _submission_out(journey.application_submit(checked=checked, applicant=user, request=request))

        with files.discard_stored_on_error():
            status, body = run_idempotent(request, scope=scope, operation=create)
        return Status(status, body)


def _checked_application(
    procedure: Procedure, version: FormVersion | None, answers: dict[str, Any], request: HttpRequest
) -> journey.CheckedApplication:
    version = journey.online_form(procedure, version)
    definition = validate_definition(version.definition)
    with_files, uploads = _read_files(definition, answers, request)
    return journey.application_check(
        procedure=procedure, version=version, definition=definition, answers=with_files, uploads=uploads
    )


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
