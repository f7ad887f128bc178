"""The resident's application journey: start a draft (prefilled), answer page by page, check, submit.

A draft is a Submission in status 下書き, so nothing typed is lost between pages, on a validation error or after
the back button; signed-in residents can leave and resume. Submitting is exactly-once: a second submit of the
same draft (double click, browser retry) returns the application already made.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError

from .engine.definition import FormDefinition, validate_definition
from .engine.fees import compute_fee
from .engine.prefill import prefill
from .engine.validation import clean_answers
from .files import attachments_prune
from .models import FormVersion, Procedure, Submission, SubmissionStatus
from .search_text import submission_search_text
from .selectors import live_form
from .submissions import receipt_number_issue, record_change

PROFILE_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "postal_code",
    "prefecture",
    "city",
    "town",
    "street",
    "building",
    "phone",
)


def definition_of(submission: Submission) -> FormDefinition:
    return validate_definition(submission.form_version.definition)


def fee_table(procedure: Procedure) -> dict[str, int]:
    from .models import Fee

    return dict(Fee.objects.filter(municipality=procedure.municipality).values_list("code", "amount"))


def _profile_of(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    profile = getattr(user, "profile", None)
    data: dict[str, Any] = {"email": user.email}
    if profile is not None:
        for name in PROFILE_FIELDS:
            value = getattr(profile, name)
            data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


@transaction.atomic
def draft_start(
    *, procedure: Procedure, applicant: Any, request: HttpRequest | None, resume: bool = True
) -> Submission:
    """A draft of this procedure's live form, prefilled from the profile (書かない). A signed-in resident who
    already has a draft of it gets that draft back, so starting twice never loses what was typed."""
    version = live_form(procedure)
    if version is None or not procedure.is_published or procedure.channel == "counter":
        raise ServiceError("not_online", _("この手続はオンラインでは申請できません。"), status=404)
    user = applicant if getattr(applicant, "is_authenticated", False) else None
    if user is not None and resume:
        existing = Submission.objects.filter(
            procedure=procedure, applicant=user, status=SubmissionStatus.DRAFT, form_version=version
        ).first()
        if existing is not None:
            return existing
    definition = validate_definition(version.definition)
    draft = Submission.objects.create(
        municipality=procedure.municipality,
        procedure=procedure,
        form_version=version,
        department=procedure.department,
        applicant=user,
        answers=prefill(definition, _profile_of(user), {}),
    )
    audit_record(
        action="submission.draft_started",
        actor=user,
        municipality=procedure.municipality,
        object_type="submission",
        object_id=str(draft.public_id),
        request=request,
    )
    return draft


@transaction.atomic
def draft_save(*, draft: Submission, answers: dict[str, Any]) -> Submission:
    """Keep the answers of a page (already validated by its page form) on the draft."""
    locked = Submission.objects.select_for_update().get(pk=draft.pk)
    if locked.status != SubmissionStatus.DRAFT:
        raise ServiceError("already_submitted", _("この申請はすでに送信されています。"))
    locked.answers = answers
    locked.expiry_notified_at = None  # they came back: the expiry clock starts again
    locked.save(update_fields=["answers", "expiry_notified_at", "updated_at"])
    return locked


def _search_text_of(submission: Submission) -> str:
    return submission_search_text(
        receipt_number=submission.receipt_number,
        email=submission.applicant.email if submission.applicant is not None else "",
        answers=submission.answers,
    )


class IncompleteAnswers(ServiceError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("incomplete", _("入力が済んでいない項目、または直す必要がある項目があります。"))
        self.errors = errors


@transaction.atomic
def draft_submit(*, draft: Submission, request: HttpRequest | None) -> Submission:
    """Validate every answer again on the server (the pages' checks cannot be bypassed), compute the fee from
    the municipality's fee table, issue the receipt number and tell the applicant. Exactly once per draft."""
    locked = Submission.objects.select_for_update().select_related("procedure", "form_version").get(pk=draft.pk)
    if locked.status != SubmissionStatus.DRAFT:
        return locked  # a repeated submit (double click, retry) gets the application already made
    definition = validate_definition(locked.form_version.definition)
    cleaned = clean_answers(definition, locked.answers)
    if not cleaned.is_valid:
        raise IncompleteAnswers(cleaned.errors)
    quote = compute_fee(definition, cleaned.answers, fee_table(locked.procedure))
    locked.answers = cleaned.answers
    locked.fee_total = quote.total
    locked.status = SubmissionStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.receipt_number = receipt_number_issue(municipality=locked.municipality, when=locked.submitted_at)
    locked.search_text = _search_text_of(locked)
    locked.save()
    attachments_prune(submission=locked, actor=locked.applicant, request=request)
    record_change(
        locked,
        action="submission.submitted",
        actor=locked.applicant,
        request=request,
        from_status=SubmissionStatus.DRAFT,
        to_status=SubmissionStatus.SUBMITTED,
        details={"procedure": locked.procedure.slug, "fee": quote.total},
    )
    if locked.applicant is not None:
        send_templated_email(
            to=locked.applicant.email,
            template="procedures/email/submitted",
            context={"submission": locked, "procedure": locked.procedure},
            language=locked.applicant.preferred_language,
        )
    return locked


def form_version_publish_example(*, procedure: Procedure, definition: dict[str, Any]) -> FormVersion:
    """Kept for branches written before the form builder: the builder's real publish service."""
    from .builder import form_definition_publish

    return form_definition_publish(procedure=procedure, actor=None, definition=definition, request=None)


@transaction.atomic
def correction_save(*, submission: Submission, applicant: Any, answers: dict[str, Any]) -> Submission:
    """Take the applicant's new values for exactly the answers staff asked to correct; the rest stay as sent."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.applicant_id != getattr(applicant, "pk", None) or locked.status != SubmissionStatus.CORRECTION_REQUESTED:
        raise ServiceError("not_correctable", _("この申請は今は修正できません。"))
    updated = dict(locked.answers)
    for field_id in locked.correction_fields:
        if field_id in answers:
            updated[field_id] = answers[field_id]
        else:
            updated.pop(field_id, None)
    locked.answers = updated
    locked.save(update_fields=["answers", "updated_at"])
    return locked


@transaction.atomic
def correction_resubmit(*, submission: Submission, applicant: Any, request: HttpRequest | None) -> Submission:
    """Send the corrected application back to review after validating every answer again."""
    locked = Submission.objects.select_for_update().select_related("form_version").get(pk=submission.pk)
    if locked.applicant_id != getattr(applicant, "pk", None) or locked.status != SubmissionStatus.CORRECTION_REQUESTED:
        raise ServiceError("not_correctable", _("この申請は今は修正できません。"))
    cleaned = clean_answers(validate_definition(locked.form_version.definition), locked.answers)
    if not cleaned.is_valid:
        raise IncompleteAnswers(cleaned.errors)
    corrected = list(locked.correction_fields)
    locked.answers = cleaned.answers
    locked.status = SubmissionStatus.IN_REVIEW
    locked.correction_fields = []
    locked.search_text = _search_text_of(locked)
    locked.save(update_fields=["answers", "status", "correction_fields", "search_text", "updated_at"])
    attachments_prune(submission=locked, actor=applicant, request=request)
    record_change(
        locked,
        action="submission.corrected",
        actor=applicant,
        request=request,
        from_status=SubmissionStatus.CORRECTION_REQUESTED,
        to_status=SubmissionStatus.IN_REVIEW,
        details={"fields": corrected},
    )
    return locked


@dataclass(frozen=True)
class DraftExpiry:
    noticed: int
    deleted: int


def drafts_expire(*, municipality: Any, now: datetime.datetime | None = None) -> DraftExpiry:
    """Delete this municipality's drafts nobody came back to for PROCEDURE_DRAFT_RETENTION_DAYS, and tell
    signed-in applicants PROCEDURE_DRAFT_EXPIRY_NOTICE_DAYS before (once per period of inactivity). Nothing
    typed into an abandoned draft is kept longer than that. Safe to run more than once a day."""
    from django.conf import settings

    now = now or timezone.now()
    retention = datetime.timedelta(days=settings.PROCEDURE_DRAFT_RETENTION_DAYS)
    notice = datetime.timedelta(days=settings.PROCEDURE_DRAFT_EXPIRY_NOTICE_DAYS)
    drafts = Submission.objects.filter(municipality=municipality, status=SubmissionStatus.DRAFT)
    with transaction.atomic():
        expired = drafts.filter(updated_at__lt=now - retention)
        expired_ids = list(expired.values_list("pk", flat=True)[:10_000])
        deleted = len(expired_ids)
        if expired_ids:
            Submission.objects.filter(pk__in=expired_ids).delete()
            audit_record(
                action="submission.drafts_expired",
                actor=None,
                municipality=municipality,
                object_type="procedure_drafts",
                object_id=str(municipality.code),
                request=None,
                details={"count": deleted, "inactive_days": settings.PROCEDURE_DRAFT_RETENTION_DAYS},
            )
    noticed = 0
    due = drafts.filter(
        updated_at__lt=now - retention + notice, expiry_notified_at__isnull=True, applicant__isnull=False
    ).select_related("applicant", "procedure")
    for draft in due.iterator(chunk_size=200):
        with transaction.atomic():
            # update() leaves updated_at alone: the notice must not restart the clock it warns about.
            if not Submission.objects.filter(pk=draft.pk, expiry_notified_at__isnull=True).update(
                expiry_notified_at=now
            ):
                continue  # another run told them already
            applicant = draft.applicant
            if applicant is not None and applicant.email and applicant.is_active:
                send_templated_email(
                    to=applicant.email,
                    template="procedures/email/draft_expiring",
                    context={
                        "procedure": draft.procedure,
                        "municipality": municipality,
                        "expires_on": timezone.localtime(draft.updated_at).date() + retention,
                    },
                    language=applicant.preferred_language,
                )
                noticed += 1
    return DraftExpiry(noticed=noticed, deleted=deleted)
