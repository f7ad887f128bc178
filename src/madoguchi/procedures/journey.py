"""The resident's application journey: start a draft (prefilled), answer page by page, check, submit.

A draft is a Submission in status 下書き, so nothing typed is lost between pages, on a validation error or after
the back button; signed-in residents can leave and resume. Submitting is exactly-once: a second submit of the
same draft (double click, browser retry) returns the application already made.

When a fee is due the resident pays first (payments app, purpose "procedures.submission" + the draft's public
id): 窓口払い submits at once with the payment pending; an online payment submits the draft when the payment is
marked paid — by the return from the hosted page or by the provider's webhook, whichever comes first, exactly
once (payment row locked, then the draft row).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from madoguchi.audit.services import audit_record
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError

from .engine.definition import FormDefinition, validate_definition
from .engine.fees import FeeQuote, compute_fee
from .engine.prefill import prefill
from .engine.validation import clean_answers
from .files import attachments_match_new, attachments_prune, attachments_put, attachments_record_new, file_answers
from .models import FormVersion, Procedure, Submission, SubmissionStatus
from .search_text import submission_search_text
from .selectors import live_form
from .submissions import receipt_number_issue, record_change
from .uploads import PreparedUpload

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

    return dict(Fee.objects.filter(municipality_id=procedure.municipality_id).values_list("code", "amount"))


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


def online_form(procedure: Procedure, version: FormVersion | None) -> FormVersion:
    """The live form to apply with, or the refusal for a procedure that cannot be applied for online."""
    if version is None or not procedure.is_published or procedure.channel == "counter":
        raise ServiceError("not_online", _("この手続はオンラインでは申請できません。"), status=404)
    return version


@transaction.atomic
def draft_start(
    *,
    procedure: Procedure,
    applicant: Any,
    request: HttpRequest | None,
    resume: bool = True,
) -> Submission:
    """A draft of this procedure's live form, prefilled from the profile (書かない). A signed-in resident who
    already has a draft of it gets that draft back, so starting twice never loses what was typed."""
    version = online_form(procedure, live_form(procedure))
    user = applicant if getattr(applicant, "is_authenticated", False) else None
    if user is not None and resume:
        existing = Submission.objects.filter(
            procedure=procedure, applicant=user, status=SubmissionStatus.DRAFT, form_version=version
        ).first()
        if existing is not None:
            return existing
    answers = prefill(validate_definition(version.definition), _profile_of(user), {})
    draft = Submission.objects.create(
        municipality=procedure.municipality,
        procedure=procedure,
        form_version=version,
        department=procedure.department,
        applicant=user,
        answers=answers,
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


PAYMENT_PURPOSE = "procedures.submission"


@transaction.atomic
def draft_save(*, draft: Submission, answers: dict[str, Any]) -> Submission:
    """Keep the answers of a page (already validated by its page form) on the draft. Changed answers make a
    pending payment stale: it is cancelled (before the draft row is locked: payments lock before drafts) and
    the fee is computed again on the check page."""
    if answers != draft.answers:
        from madoguchi.payments.services import payment_cancel_pending

        payment_cancel_pending(
            municipality=draft.municipality,
            purpose=PAYMENT_PURPOSE,
            object_id=str(draft.public_id),
            reason="answers_changed",
            request=None,
        )
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


def _fee_lines(definition: FormDefinition, answers: dict[str, Any], table: dict[str, int]) -> tuple[FeeQuote, list]:
    """The fee and its lines frozen for a payment, with the label in Japanese and English."""
    quote = compute_fee(definition, answers, table, language="ja")
    with override("en"):
        english = compute_fee(definition, answers, table, language="en")
    lines = [
        {
            "code": line.code,
            "label": line.label,
            "label_en": other.label,
            "unit": line.unit,
            "quantity": line.quantity,
            "amount": line.amount,
        }
        for line, other in zip(quote.lines, english.lines, strict=True)
    ]
    return quote, lines


def _clean_or_refuse(definition: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers cleaned as on submitting (normalised, hidden fields dropped); IncompleteAnswers if invalid."""
    cleaned = clean_answers(definition, answers)
    if not cleaned.is_valid:
        raise IncompleteAnswers(cleaned.errors)
    return cleaned.answers


def _cleaned(definition_json: Any, answers: dict[str, Any]) -> tuple[FormDefinition, dict[str, Any]]:
    """The form's definition and the answers cleaned as on submitting; IncompleteAnswers when they are not."""
    definition = validate_definition(definition_json)
    return definition, _clean_or_refuse(definition, answers)


@transaction.atomic
def draft_pay(*, draft: Submission, method: str, request: HttpRequest | None) -> tuple[Submission, Any]:
    """Submit the draft, paying its fee by `method` first when one is due. Returns (submission, payment):
    the submission is still a draft when the resident must go on to payment.redirect_url (online payment)."""
    from madoguchi.payments.models import PaymentMethod
    from madoguchi.payments.selectors import payment_live_for_object
    from madoguchi.payments.services import payment_start

    if draft.status != SubmissionStatus.DRAFT:
        return draft, payment_live_for_object(draft.municipality, PAYMENT_PURPOSE, str(draft.public_id))
    definition, answers = _cleaned(draft.form_version.definition, draft.answers)
    quote, lines = _fee_lines(definition, answers, fee_table(draft.procedure))
    if quote.total == 0:
        return draft_submit(draft=draft, request=request), None
    payment = payment_start(
        municipality=draft.municipality,
        purpose=PAYMENT_PURPOSE,
        object_id=str(draft.public_id),
        amount=quote.total,
        lines=lines,
        method=method,
        payer=draft.applicant,
        department=draft.department,
        request=request,
    )
    if payment.money_received or payment.method == PaymentMethod.COUNTER:
        return draft_submit(draft=draft, request=request, payment=payment), payment
    return draft, payment


@transaction.atomic
def draft_submit(*, draft: Submission, request: HttpRequest | None, payment: Any = None) -> Submission:
    """Validate every answer again on the server (the pages' checks cannot be bypassed), compute the fee from
    the municipality's fee table, issue the receipt number and tell the applicant. Exactly once per draft.

    A fee that is due needs a payment: the one given (paid online, or 窓口払い pending), else the draft's paid
    payment, else a new 窓口払い payment when the municipality takes payment at the counter (the API's path)."""
    from madoguchi.payments.models import PaymentMethod
    from madoguchi.payments.selectors import payment_live_for_object

    table = fee_table(draft.procedure)
    checked: tuple[FormDefinition, dict[str, Any], dict[str, Any]] | None = None  # (definition, seen, cleaned)
    if payment is None and draft.status == SubmissionStatus.DRAFT:
        definition, cleaned = _cleaned(draft.form_version.definition, draft.answers)
        checked = (definition, draft.answers, cleaned)
        quote, lines = _fee_lines(definition, cleaned, table)
        if quote.total > 0:
            live = payment_live_for_object(draft.municipality, PAYMENT_PURPOSE, str(draft.public_id))
            if live is not None and (live.money_received or live.method == PaymentMethod.COUNTER):
                payment = live
            else:
                payment = _counter_payment(draft, quote, lines, request)
    locked = (
        Submission.objects.select_for_update(of=("self",)).select_related("procedure", "form_version").get(pk=draft.pk)
    )
    if locked.status != SubmissionStatus.DRAFT:
        return locked  # a repeated submit (double click, retry) gets the application already made
    _reuse_loaded_relations(locked, draft)
    if checked is not None and locked.form_version_id == draft.form_version_id and locked.answers == checked[1]:
        definition, _seen, cleaned = checked  # the locked row holds exactly what was just checked
    else:  # changed meanwhile (another tab saved a page): check what will be submitted
        definition, cleaned = _cleaned(locked.form_version.definition, locked.answers)
    quote = compute_fee(definition, cleaned, table)
    if (payment.amount if payment is not None else 0) != quote.total:
        raise ServiceError(
            "fee_changed", _("手数料が変わりました。内容と金額を確認して、もう一度お支払いください。"), field="method"
        )
    _mark_submitted(locked, answers=cleaned, fee_total=quote.total)
    locked.save()
    attachments_prune(submission=locked, actor=locked.applicant, request=request)
    _announce_submitted(locked, payment=payment, request=request)
    return locked


def _counter_payment(submission: Submission, quote: FeeQuote, lines: list, request: HttpRequest | None) -> Any:
    """A 窓口払い payment for the fee due, when the municipality takes payment at the counter (how the API
    pays: there is no hosted page to send a program to); refused otherwise."""
    from madoguchi.payments.models import PaymentMethod
    from madoguchi.payments.selectors import payment_methods_for
    from madoguchi.payments.services import payment_start

    if not any(choice.method == PaymentMethod.COUNTER for choice in payment_methods_for(submission.municipality)):
        raise ServiceError(
            "payment_required",
            _("この申請には手数料のお支払いが必要です。お支払い方法を選んでください。"),
            field="method",
        )
    return payment_start(
        municipality=submission.municipality,
        purpose=PAYMENT_PURPOSE,
        object_id=str(submission.public_id),
        amount=quote.total,
        lines=lines,
        method=PaymentMethod.COUNTER,
        payer=submission.applicant,
        department=submission.department,
        request=request,
    )


def _mark_submitted(submission: Submission, *, answers: dict[str, Any], fee_total: int) -> None:
    """The checked answers, the fee, the status and the receipt number, on the row about to be saved. The
    receipt counter stays locked until the caller's transaction commits: call this as late as possible."""
    submission.answers = answers
    submission.fee_total = fee_total
    submission.status = SubmissionStatus.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.receipt_number = receipt_number_issue(municipality=submission.municipality, when=submission.submitted_at)
    submission.search_text = _search_text_of(submission)


def _announce_submitted(
    submission: Submission, *, payment: Any, request: HttpRequest | None, audited_before: list | None = None
) -> None:
    """The history entry and audit event of a submission (after `audited_before`, see record_change), and the
    applicant's confirmation e-mail."""
    record_change(
        submission,
        audited_before=audited_before,
        action="submission.submitted",
        actor=submission.applicant,
        request=request,
        from_status=SubmissionStatus.DRAFT,
        to_status=SubmissionStatus.SUBMITTED,
        details={
            "procedure": submission.procedure.slug,
            "fee": submission.fee_total,
            "payment": str(payment.public_id) if payment is not None else None,
        },
    )
    if submission.applicant is not None:
        send_templated_email(
            to=submission.applicant.email,
            template="procedures/email/submitted",
            context={"submission": submission, "procedure": submission.procedure, "payment": payment},
            language=submission.applicant.preferred_language,
        )


# --- A new application in one request (the API) -----------------------------------------------------------


@dataclass(frozen=True)
class CheckedApplication:
    """A new application whose answers, files and fee have been checked; nothing is written yet."""

    procedure: Procedure
    version: FormVersion
    answers: dict[str, Any]  # cleaned: normalised, answers of hidden fields dropped
    quote: FeeQuote
    fee_lines: list[dict[str, Any]]
    uploads: list[tuple[str, PreparedUpload]]  # (answer path, file) of the files the cleaned answers keep


def application_check(
    *,
    procedure: Procedure,
    version: FormVersion,
    definition: FormDefinition,
    answers: dict[str, Any],
    uploads: list[PreparedUpload],
) -> CheckedApplication:
    """Check a whole new application before anything is written or locked: the files its answers refer to
    (attachments_match_new: no forged refs, the per-application limits), every answer exactly as on submitting
    a draft (clean_answers), and the fee. `version` is the live form online_form() accepted and `definition`
    its validated definition. Raises IncompleteAnswers or ServiceError. The fee table is read only when the form
    charges a fee."""
    matched = attachments_match_new(definition=definition, answers=answers, uploads=uploads)
    cleaned = _clean_or_refuse(definition, answers)
    table = fee_table(procedure) if definition.fee is not None else {}
    quote, lines = _fee_lines(definition, cleaned, table)
    kept = {str(value.get("ref")) for _path, _name, value in file_answers(definition, cleaned)}
    return CheckedApplication(
        procedure=procedure,
        version=version,
        answers=cleaned,
        quote=quote,
        fee_lines=lines,
        uploads=[(path, upload) for path, upload in matched if upload.ref in kept],
    )


@transaction.atomic(savepoint=False)
def application_submit(*, checked: CheckedApplication, applicant: Any, request: HttpRequest | None) -> Submission:
    """Write a checked new application as submitted, in one go: one INSERT with its receipt number, its files,
    the history entry and audit event of the submission, the applicant's e-mail; a fee due is paid at the
    counter, as in draft_submit. No draft row is written first, so there is no draft audit entry, no draft to
    lock and read back and no attachment list to query. A file of a field the cleaned answers dropped (hidden)
    is never stored. Runs in the caller's transaction (the idempotency record's), without a savepoint of its
    own: whatever fails here rolls the whole request back."""
    procedure = checked.procedure
    user = applicant if getattr(applicant, "is_authenticated", False) else None
    submission = Submission(
        municipality=procedure.municipality,
        procedure=procedure,
        form_version=checked.version,
        department=procedure.department,
        applicant=user,
    )
    payment = _counter_payment(submission, checked.quote, checked.fee_lines, request) if checked.quote.total else None
    uploads = [upload for _path, upload in checked.uploads]
    attachments_put(uploads)  # the stored objects, before the receipt counter is locked
    _mark_submitted(submission, answers=checked.answers, fee_total=checked.quote.total)
    submission.save(force_insert=True)
    _rows, uploaded = attachments_record_new(
        submission=submission, uploads=checked.uploads, actor=user, request=request
    )
    _announce_submitted(submission, payment=payment, request=request, audited_before=uploaded)
    return submission


def _loaded(instance: Submission, relation: str) -> bool:
    return Submission._meta.get_field(relation).is_cached(instance)  # type: ignore[union-attr]


def _reuse_loaded_relations(locked: Submission, draft: Submission) -> None:
    """The freshly locked row points at the same municipality and applicant the caller already loaded: reuse
    them rather than asking the database again for each."""
    if locked.municipality_id == draft.municipality_id and _loaded(draft, "municipality"):
        locked.municipality = draft.municipality
        locked.procedure.municipality = draft.municipality
    if locked.applicant_id == draft.applicant_id and _loaded(draft, "applicant"):
        locked.applicant = draft.applicant


# --- The payments purpose "procedures.submission" (registered in apps.py) ---------------------------------------


def _submission_of(payment: Any) -> Submission | None:
    return (
        Submission.objects.select_related("procedure", "form_version")
        .filter(municipality=payment.municipality, public_id=payment.object_id)
        .first()
    )


def submission_paid(payment: Any, request: HttpRequest | None) -> None:
    """Money received for a draft's fee: submit it (no-op when it was submitted already, e.g. 窓口払い)."""
    submission = _submission_of(payment)
    if submission is None:
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if submission.status == SubmissionStatus.DRAFT:
        draft_submit(draft=submission, request=request, payment=payment)


def submission_next_url(payment: Any, outcome: str) -> str:
    submission = _submission_of(payment)
    if submission is None:
        return reverse("core:municipality_home", kwargs={"municipality_slug": payment.municipality.slug})
    kwargs = {
        "municipality_slug": payment.municipality.slug,
        "procedure_slug": submission.procedure.slug,
        "draft_id": submission.public_id,
    }
    name = "procedures:apply_check" if submission.status == SubmissionStatus.DRAFT else "procedures:apply_done"
    return reverse(name, kwargs=kwargs)


def submission_reference(payment: Any) -> str:
    submission = _submission_of(payment)
    return submission.receipt_number if submission is not None else ""


def submission_lookup(municipality: Any, query: str) -> list[str]:
    """The application with this 受付番号 (counter staff search payments by it)."""
    return [
        str(public_id)
        for public_id in Submission.objects.filter(
            municipality=municipality, receipt_number__iexact=query.strip()
        ).values_list("public_id", flat=True)[:5]
    ]


def submission_staff_url(payment: Any) -> str:
    submission = _submission_of(payment)
    if submission is None or not submission.receipt_number:
        return ""
    return reverse(
        "procedures_staff:submission",
        kwargs={"municipality_slug": payment.municipality.slug, "submission_id": submission.public_id},
    )


@transaction.atomic
def correction_save(
    *, submission: Submission, applicant: Any, answers: dict[str, Any], fields: list[str] | None = None
) -> Submission:
    """Take the applicant's new values for exactly the answers staff asked to correct; the rest stay as sent.
    `fields` (default: every answer asked for) are the ones this save answers, e.g. those of one page: an
    asked-for answer it leaves out is cleared, one on another page is left alone."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.applicant_id != getattr(applicant, "pk", None) or locked.status != SubmissionStatus.CORRECTION_REQUESTED:
        raise ServiceError("not_correctable", _("この申請は今は修正できません。"))
    updated = dict(locked.answers)
    for field_id in locked.correction_fields:
        if fields is not None and field_id not in fields:
            continue
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
    locked = Submission.objects.select_for_update(of=("self",)).select_related("form_version").get(pk=submission.pk)
    if locked.applicant_id != getattr(applicant, "pk", None) or locked.status != SubmissionStatus.CORRECTION_REQUESTED:
        raise ServiceError("not_correctable", _("この申請は今は修正できません。"))
    _definition, cleaned = _cleaned(locked.form_version.definition, locked.answers)
    corrected = list(locked.correction_fields)
    locked.answers = cleaned
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
