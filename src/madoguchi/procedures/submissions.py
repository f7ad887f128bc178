"""Writes to applications (申請): receipt numbers, staff processing, messages and withdrawal.

Filling in and submitting a form goes through the form engine (engine/) and lives in journey services; this
module owns what happens to an application once it exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.permissions import department_scope
from madoguchi.audit.models import AuditEvent
from madoguchi.audit.services import audit_event, audit_record, audit_record_all
from madoguchi.core.dates import era_of, fiscal_year
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Municipality

from .models import (
    STAFF_TRANSITIONS,
    WITHDRAWABLE,
    ReceiptCounter,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)


# No savepoint of its own: a failure here fails the caller's transaction, which is the one that matters.
@transaction.atomic(savepoint=False)
def receipt_number_issue(*, municipality: Municipality, when: datetime.datetime | None = None) -> str:
    """The next receipt number of this municipality's 年度, e.g. HK-R8-000123 (R8 = 令和8年度). Call it inside the
    transaction that saves the application: the counter row stays locked until that commits, and a rolled-back
    application never consumes a number."""
    local = timezone.localtime(when or timezone.now()).date()
    year = fiscal_year(local)
    number = _next_number(municipality, year)
    if number is None:
        # The first application of a 年度 creates the row (a racing creator loses on the unique constraint, and
        # get_or_create then reads the winner's row, locked).
        counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(
            municipality=municipality, fiscal_year=year
        )
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        number = counter.last_number
    start = datetime.date(year, 4, 1)
    era = era_of(start)
    era_label = f"{era.letter}{year - era.start.year + 1}" if era else str(year)
    return f"{municipality.receipt_prefix}-{era_label}-{number:06d}"


def _next_number(municipality: Municipality, year: int) -> int | None:
    """Increment the 年度's counter and read the new value in one statement (UPDATE … RETURNING, which both
    PostgreSQL and SQLite ≥ 3.35 run); the UPDATE takes the same row lock a locking read would. None when the
    年度 has no counter yet."""
    table = connection.ops.quote_name(ReceiptCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 (the table name is the model's)
            "WHERE municipality_id = %s AND fiscal_year = %s RETURNING last_number",
            [municipality.pk, year],
        )
        row = cursor.fetchone()
    return int(row[0]) if row is not None else None


def _check_staff_scope(submission: Submission, actor: Any) -> None:
    allowed = department_scope(actor, submission.municipality)
    if allowed is not None and submission.department_id not in allowed:
        raise ServiceError("not_found", _("見つかりません。"), status=404)


def _record(
    submission: Submission,
    *,
    kind: str,
    actor: Any,
    text: str = "",
    internal: bool = False,
    from_status: str = "",
    to_status: str = "",
) -> SubmissionEvent:
    is_user = getattr(actor, "is_authenticated", False)
    token = getattr(actor, "token", None) if getattr(actor, "is_api_token", False) else None
    return SubmissionEvent.objects.create(
        submission=submission,
        kind=kind,
        actor=actor if is_user else None,
        actor_label=f"API: {token.name}"[:120] if token is not None else "",
        text=text,
        internal=internal,
        from_status=from_status,
        to_status=to_status,
    )


def record_change(
    submission: Submission,
    *,
    action: str,
    actor: Any,
    request: HttpRequest | None,
    kind: str = SubmissionEvent.Kind.STATUS,
    text: str = "",
    internal: bool = False,
    from_status: str = "",
    to_status: str = "",
    details: dict[str, Any] | None = None,
    audited_before: list[AuditEvent] | None = None,
) -> SubmissionEvent:
    """One change to an application, written twice on purpose: to its history (what the applicant and staff
    see) and to the audit log (who did it, from where). `audited_before`: unsaved events of the same write
    (audit_event) that go into the audit log ahead of this one, in the same INSERT."""
    event = _record(
        submission, kind=kind, actor=actor, text=text, internal=internal, from_status=from_status, to_status=to_status
    )
    audited = audit_event(
        action=action,
        actor=actor,
        municipality=submission.municipality,
        object_type="submission",
        object_id=submission.receipt_number or str(submission.public_id),
        request=request,
        details=details,
    )
    if audited_before:
        audit_record_all([*audited_before, audited])
    else:
        audited.save(force_insert=True)
    return event


def _tell_applicant(submission: Submission, *, template: str, text: str = "") -> None:
    """One e-mail to the applicant (never a staff link; the status page is on the resident side)."""
    applicant = submission.applicant
    if applicant is None or not applicant.email:
        return
    send_templated_email(
        to=applicant.email,
        template=template,
        context={"submission": submission, "procedure": submission.procedure, "text": text},
        language=applicant.preferred_language,
    )


@transaction.atomic
def submission_change_status(
    *, submission: Submission, actor: Any, to_status: str, text: str = "", request: HttpRequest | None
) -> Submission:
    """Move an application along the allowed edges (申請済 → 受付 → 審査中 → 完了 / 却下); anything else is refused
    with a message naming the current state."""
    _check_staff_scope(submission, actor)
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    allowed = STAFF_TRANSITIONS.get(locked.status, frozenset())
    if to_status == SubmissionStatus.CORRECTION_REQUESTED:
        raise ServiceError(
            "use_correction_request", _("補正依頼は「補正を依頼する」から、直す項目を選んで送ってください。")
        )
    if to_status not in allowed:
        raise ServiceError(
            "transition_not_allowed",
            _("「%(current)s」の申請を「%(target)s」にはできません。")
            % {"current": locked.get_status_display(), "target": SubmissionStatus(to_status).label}
            if to_status in SubmissionStatus.values
            else _("この状態には変更できません。"),
            field="status",
        )
    if to_status == SubmissionStatus.REJECTED and not text.strip():
        raise ServiceError("reason_required", _("却下の理由を入力してください。申請者に伝わります。"), field="text")
    from_status = locked.status
    locked.status = to_status
    if to_status == SubmissionStatus.COMPLETED:
        locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "completed_at", "updated_at"])
    _record(
        locked, kind=SubmissionEvent.Kind.STATUS, actor=actor, text=text, from_status=from_status, to_status=to_status
    )
    audit_record(
        action="submission.status_changed",
        actor=actor,
        municipality=locked.municipality,
        object_type="submission",
        object_id=locked.receipt_number,
        request=request,
        details={"from": from_status, "to": to_status},
    )
    _tell_applicant(locked, template="procedures/email/status_changed", text=text)
    return locked


@transaction.atomic
def submission_request_correction(
    *, submission: Submission, actor: Any, fields: list[str], message: str, request: HttpRequest | None
) -> Submission:
    """補正依頼: name the answers to fix and why. The applicant can then change exactly those answers."""
    _check_staff_scope(submission, actor)
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if SubmissionStatus.CORRECTION_REQUESTED not in STAFF_TRANSITIONS.get(locked.status, frozenset()):
        raise ServiceError(
            "transition_not_allowed",
            _("「%(current)s」の申請には補正を依頼できません。") % {"current": locked.get_status_display()},
        )
    known = set(locked.answers)
    chosen = [field for field in dict.fromkeys(fields) if field in known]
    if not chosen:
        raise ServiceError("fields_required", _("直してもらう項目を1つ以上選んでください。"), field="fields")
    if not message.strip():
        raise ServiceError("message_required", _("申請者へのメッセージを入力してください。"), field="message")
    from_status = locked.status
    locked.status = SubmissionStatus.CORRECTION_REQUESTED
    locked.correction_fields = chosen
    locked.save(update_fields=["status", "correction_fields", "updated_at"])
    record_change(
        locked,
        action="submission.correction_requested",
        actor=actor,
        request=request,
        text=message,
        from_status=from_status,
        to_status=locked.status,
        details={"fields": chosen},
    )
    _tell_applicant(locked, template="procedures/email/correction_requested", text=message)
    return locked


@transaction.atomic
def submission_add_note(
    *, submission: Submission, actor: Any, text: str, request: HttpRequest | None
) -> SubmissionEvent:
    _check_staff_scope(submission, actor)
    if not text.strip():
        raise ServiceError("text_required", _("メモを入力してください。"), field="text")
    return record_change(
        submission,
        action="submission.note_added",
        actor=actor,
        request=request,
        kind=SubmissionEvent.Kind.NOTE,
        text=text,
        internal=True,
    )


@transaction.atomic
def submission_message_applicant(
    *, submission: Submission, actor: Any, text: str, request: HttpRequest | None
) -> SubmissionEvent:
    _check_staff_scope(submission, actor)
    if not text.strip():
        raise ServiceError("text_required", _("メッセージを入力してください。"), field="text")
    event = record_change(
        submission,
        action="submission.message_sent",
        actor=actor,
        request=request,
        kind=SubmissionEvent.Kind.MESSAGE_TO_APPLICANT,
        text=text,
    )
    _tell_applicant(submission, template="procedures/email/message", text=text)
    return event


@transaction.atomic
def submission_assign(*, submission: Submission, actor: Any, assignee: Any, request: HttpRequest | None) -> Submission:
    """Give an application to a staff member who can see it (or to nobody)."""
    _check_staff_scope(submission, actor)
    if assignee is not None:
        allowed = department_scope(assignee, submission.municipality)
        from madoguchi.accounts.permissions import Perm, has_permission

        if not has_permission(assignee, submission.municipality, Perm.PROCEDURES_MANAGE) or (
            allowed is not None and submission.department_id not in allowed
        ):
            raise ServiceError("assignee_invalid", _("この申請を担当できる職員を選んでください。"), field="assignee")
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    record_change(
        locked,
        action="submission.assigned",
        actor=actor,
        request=request,
        kind=SubmissionEvent.Kind.ASSIGNMENT,
        text=assignee.email if assignee is not None else "",
        internal=True,
        details={"assignee": assignee.email if assignee is not None else None},
    )
    return locked


@transaction.atomic
def submission_withdraw(
    *, submission: Submission, applicant: Any, reason: str, request: HttpRequest | None
) -> Submission:
    """取下げ by the applicant while the application is still open."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.applicant_id is None or locked.applicant_id != getattr(applicant, "pk", None):
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if locked.status not in WITHDRAWABLE:
        raise ServiceError(
            "not_withdrawable",
            _("「%(current)s」の申請は取り下げられません。") % {"current": locked.get_status_display()},
        )
    from_status = locked.status
    locked.status = SubmissionStatus.WITHDRAWN
    locked.save(update_fields=["status", "updated_at"])
    record_change(
        locked,
        action="submission.withdrawn",
        actor=applicant,
        request=request,
        text=reason,
        from_status=from_status,
        to_status=locked.status,
    )
    return locked


# The applicant can write to the department while the application is open; once it is closed, a new
# question is a new contact (the status page says how to reach the department).
REPLYABLE = WITHDRAWABLE


@transaction.atomic
def submission_reply_from_applicant(
    *, submission: Submission, applicant: Any, text: str, request: HttpRequest | None
) -> SubmissionEvent:
    """A message from the applicant to the department (e.g. an answer to a question from staff). The assigned
    staff member, if any, is told by e-mail; the text itself stays in the application, not in the mail."""
    # Lock the application row only: the joined rows stay unlocked (and PostgreSQL refuses FOR UPDATE on the
    # nullable side of the assignee join).
    locked = (
        Submission.objects.select_for_update(of=("self",)).select_related("assignee", "procedure").get(pk=submission.pk)
    )
    if locked.applicant_id is None or locked.applicant_id != getattr(applicant, "pk", None):
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if locked.status not in REPLYABLE:
        raise ServiceError(
            "not_replyable",
            _("「%(current)s」の申請にはメッセージを送れません。担当課に直接お問い合わせください。")
            % {"current": locked.get_status_display()},
            field="text",
        )
    if not text.strip():
        raise ServiceError("text_required", _("メッセージを入力してください。"), field="text")
    event = record_change(
        locked,
        action="submission.applicant_message",
        actor=applicant,
        request=request,
        kind=SubmissionEvent.Kind.MESSAGE_FROM_APPLICANT,
        text=text,
    )
    if locked.assignee is not None and locked.assignee.email:
        send_templated_email(
            to=locked.assignee.email,
            template="procedures/email/applicant_message",
            context={"submission": locked, "procedure": locked.procedure},
            language=locked.assignee.preferred_language,
        )
    return event


@dataclass(frozen=True)
class BulkOutcome:
    done: list[str]  # receipt numbers changed
    refused: list[tuple[str, str]]  # (receipt number, why)
    missing: int  # ids this person cannot see (another 課 or municipality, or gone)


BULK_STATUS_ACTIONS = {"accept": SubmissionStatus.ACCEPTED, "in_review": SubmissionStatus.IN_REVIEW}


def submissions_bulk_apply(
    *, municipality: Municipality, actor: Any, public_ids: list[str], action: str, request: HttpRequest | None
) -> BulkOutcome:
    """Apply one inbox action to several applications. Each one goes through the same service as on its own
    page, in its own transaction, so one refusal (e.g. already completed) neither blocks nor undoes the others;
    every change is in the history and the audit log as if done one by one."""
    from .selectors import submission_inbox

    found = {
        str(item.public_id): item
        for item in submission_inbox(municipality, actor)
        .filter(public_id__in=public_ids)
        .select_related("municipality")
    }
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    for public_id in public_ids:
        submission = found.get(public_id)
        if submission is None:
            continue
        try:
            if action in BULK_STATUS_ACTIONS:
                submission_change_status(
                    submission=submission, actor=actor, to_status=BULK_STATUS_ACTIONS[action], request=request
                )
            elif action == "assign_me":
                submission_assign(submission=submission, actor=actor, assignee=actor, request=request)
            elif action == "unassign":
                submission_assign(submission=submission, actor=actor, assignee=None, request=request)
            else:
                raise ServiceError("action_unknown", _("この操作はできません。"), field="action")
        except ServiceError as error:
            if error.code == "action_unknown":
                raise
            refused.append((submission.receipt_number, str(error.message)))
        else:
            done.append(submission.receipt_number)
    return BulkOutcome(done=done, refused=refused, missing=len(public_ids) - len(found))
