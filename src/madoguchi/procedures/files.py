"""Files kept with applications: the applicant's attachments (file answers) and the results staff issue.

Services store checked files (procedures/uploads.py) in the private "procedure_files" storage under random
names and keep a SubmissionFile row per file, in the same transaction as the answers that refer to it and the
audit event. A stored object whose transaction fails is deleted again; an object whose row is deleted (a file
replaced, a draft or application deleted) is deleted once the deletion commits.

An answer's "ref" must name a file of the same application uploaded for that purpose; the services refuse any
other ref, so an answer cannot point at someone else's file, and metadata without an uploaded file (an API
client's hand-made {"name", "size", "content_type"}) is refused too.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.models import AuditEvent
from madoguchi.audit.services import audit_event, audit_personal_data_viewed, audit_record
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.tenancy import get_object_in_municipality

from .engine.definition import FormDefinition, validate_definition
from .engine.forms import SEPARATOR
from .models import FilePurpose, Submission, SubmissionFile, SubmissionStatus
from .uploads import PreparedUpload

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "procedure_files"

MSG_TOO_MANY = _("1つの申請に添付できるファイルは%(max)s件までです。")
MSG_TOTAL = _("1つの申請に添付できるファイルは合計%(max)sMBまでです。小さくしたファイルを選択してください。")
MSG_UNKNOWN_FILE = _("ファイルの情報が正しくありません。もう一度ファイルを選択してください。")
MSG_RESULT_CLOSED = _("この申請には結果の文書を交付できません（下書きまたは取下げ済みです）。")


def file_storage() -> Storage:
    return storages[STORAGE_ALIAS]


# -- stored objects follow their rows ------------------------------------------------------------------------

_stored_in_flight: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("stored_files", default=None)


@contextmanager
def discard_stored_on_error() -> Iterator[None]:
    """Objects stored inside this block are deleted again if the block fails (their rows roll back). Nested
    blocks leave it to the outermost one, which knows whether the whole write failed."""
    if _stored_in_flight.get() is not None:
        yield
        return
    names: list[str] = []
    token = _stored_in_flight.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            _delete_object(name)
        raise
    finally:
        _stored_in_flight.reset(token)


def _store(upload: PreparedUpload) -> str:
    name = file_storage().save(upload.storage_name, ContentFile(upload.content))
    in_flight = _stored_in_flight.get()
    if in_flight is not None:
        in_flight.append(name)
    return name


def _delete_object(name: str) -> None:
    try:
        file_storage().delete(name)
    except Exception:  # a storage outage must not undo a committed deletion; the object is logged for cleanup
        logger.exception("could not delete stored file %s", name)


@receiver(post_delete, sender=SubmissionFile)
def _delete_object_on_commit(sender: Any, instance: SubmissionFile, **kwargs: Any) -> None:
    name = instance.storage_name
    transaction.on_commit(lambda: _delete_object(name))


# -- where files sit in the answers ------------------------------------------------------------------------


def file_answers(definition: FormDefinition, answers: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, form name, value) of every file answer: "<field>" or "<group>.<n>.<member>" inside groups."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    for page in definition.pages:
        for member in page.fields:
            value = answers.get(member.id)
            if member.type == "file" and isinstance(value, dict):
                found.append((member.id, member.id, value))
            elif member.type == "repeated_group" and isinstance(value, list):
                for index, item in enumerate(value):
                    if not isinstance(item, dict):
                        continue
                    for sub in member.fields:
                        sub_value = item.get(sub.id)
                        if sub.type == "file" and isinstance(sub_value, dict):
                            found.append(
                                (
                                    f"{member.id}.{index}.{sub.id}",
                                    f"{member.id}{SEPARATOR}{index}{SEPARATOR}{sub.id}",
                                    sub_value,
                                )
                            )
    return found


def _upload_limits(kept: list[SubmissionFile], new: list[PreparedUpload]) -> None:
    max_files = int(settings.PROCEDURE_UPLOAD_MAX_FILES)
    max_bytes = int(settings.PROCEDURE_UPLOAD_MAX_TOTAL_MB) * 1024 * 1024
    field = new[-1].field_name if new else None
    if len(kept) + len(new) > max_files:
        raise ServiceError("too_many_files", MSG_TOO_MANY % {"max": max_files}, field=field, status=422)
    if sum(row.size for row in kept) + sum(upload.size for upload in new) > max_bytes:
        raise ServiceError(
            "files_too_big", MSG_TOTAL % {"max": settings.PROCEDURE_UPLOAD_MAX_TOTAL_MB}, field=field, status=422
        )


def _new_row(submission: Submission, upload: PreparedUpload, *, purpose: str, path: str, actor: Any) -> SubmissionFile:
    """The unsaved row of an upload, its fields checked."""
    row = SubmissionFile(
        municipality=submission.municipality,
        submission=submission,
        field_path=path,
        purpose=purpose,
        public_id=upload.ref,
        original_name=upload.name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        storage_name=upload.storage_name,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # Field checks only: the foreign keys are objects this request has just loaded, and the uniqueness and check
    # constraints are the database's job (each would cost a query per file on the submission path).
    full_clean_or_refuse(
        row, exclude=["municipality", "submission", "uploaded_by"], validate_unique=False, validate_constraints=False
    )
    return row


def _row(submission: Submission, upload: PreparedUpload, *, purpose: str, path: str, actor: Any) -> SubmissionFile:
    row = _new_row(submission, upload, purpose=purpose, path=path, actor=actor)
    row.storage_name = _store(upload)
    row.save()
    return row


def attachments_sync(
    *, submission: Submission, uploads: list[PreparedUpload], actor: Any, request: HttpRequest | None
) -> list[SubmissionFile]:
    """Make the application's attachment rows match its answers (call inside the transaction that saved
    them): store the uploads the answers refer to, delete files no answer refers to any more (a replaced or
    removed file, a field now hidden), and refuse any ref that is neither. Limits per application apply."""
    definition = validate_definition(submission.form_version.definition)
    existing = {
        str(row.public_id): row
        for row in SubmissionFile.objects.filter(submission=submission, purpose=FilePurpose.ATTACHMENT)
    }
    new, seen = _match(definition, submission.answers, existing, uploads)
    for row in existing.values():
        if str(row.public_id) not in seen:
            audit_record(
                action="submission.file_removed",
                actor=actor,
                municipality=submission.municipality,
                object_type="submission_file",
                object_id=str(row.public_id),
                request=request,
                details={"submission": str(submission.public_id), "field": row.field_path},
            )
            row.delete()
    stored = []
    for path, upload in new:
        row = _row(submission, upload, purpose=FilePurpose.ATTACHMENT, path=path, actor=actor)
        _audit_uploaded(submission, row, actor=actor, request=request)
        stored.append(row)
    return stored


def _match(
    definition: FormDefinition,
    answers: dict[str, Any],
    existing: dict[str, SubmissionFile],
    uploads: list[PreparedUpload],
) -> tuple[list[tuple[str, PreparedUpload]], set[str]]:
    """The new (path, upload) pairs the answers' file refs name, and every ref seen (new or kept). A ref
    that is neither a kept row nor an upload of this request (or a ref used twice) is refused; the limits per
    application apply to the kept and new files together."""
    offered = {upload.ref: upload for upload in uploads}
    kept: list[SubmissionFile] = []
    new: list[tuple[str, PreparedUpload]] = []
    seen: set[str] = set()
    for path, form_name, value in file_answers(definition, answers):
        ref = value.get("ref")
        if not isinstance(ref, str) or ref in seen or (ref not in existing and ref not in offered):
            raise ServiceError("file_unknown", MSG_UNKNOWN_FILE, field=form_name, status=422)
        seen.add(ref)
        if ref in existing:
            kept.append(existing[ref])
        else:
            new.append((path, offered[ref]))
    _upload_limits(kept, [upload for _path, upload in new])
    return new, seen


def _audit_uploaded(submission: Submission, row: SubmissionFile, *, actor: Any, request: HttpRequest | None) -> None:
    _uploaded_event(submission, row, actor=actor, request=request).save(force_insert=True)


def _uploaded_event(
    submission: Submission, row: SubmissionFile, *, actor: Any, request: HttpRequest | None
) -> AuditEvent:
    return audit_event(
        action="submission.file_uploaded",
        actor=actor,
        municipality=submission.municipality,
        object_type="submission_file",
        object_id=str(row.public_id),
        request=request,
        details={
            "submission": str(submission.public_id),
            "field": row.field_path,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
        },
    )


# -- the files of a new application (the API), which has no rows yet -----------------------------------------


def attachments_match_new(
    *, definition: FormDefinition, answers: dict[str, Any], uploads: list[PreparedUpload]
) -> list[tuple[str, PreparedUpload]]:
    """The (path, upload) pairs a new application's answers refer to, checked as attachments_sync checks them
    (no query: a new application has no stored files to keep)."""
    new, _seen = _match(definition, answers, {}, uploads)
    return new


def attachments_put(uploads: list[PreparedUpload]) -> None:
    """Store the objects of checked uploads (inside discard_stored_on_error, so a failed write deletes them
    again); each upload's storage_name becomes the name the storage used."""
    for upload in uploads:
        upload.storage_name = _store(upload)


def attachments_record_new(
    *,
    submission: Submission,
    uploads: list[tuple[str, PreparedUpload]],
    actor: Any,
    request: HttpRequest | None,
) -> tuple[list[SubmissionFile], list[AuditEvent]]:
    """The rows of uploads already stored by attachments_put, for a new application just saved, and their
    file_uploaded audit events, unsaved: the caller writes them with its own (audit_record_all)."""
    rows = []
    for path, upload in uploads:
        row = _new_row(submission, upload, purpose=FilePurpose.ATTACHMENT, path=path, actor=actor)
        row.save(force_insert=True)
        rows.append(row)
    return rows, [_uploaded_event(submission, row, actor=actor, request=request) for row in rows]


def attachments_prune(*, submission: Submission, actor: Any, request: HttpRequest | None) -> None:
    """Delete the attachments no answer refers to any more (answers of hidden fields are dropped on submit)."""
    definition = validate_definition(submission.form_version.definition)
    referenced = {str(value.get("ref")) for _path, _name, value in file_answers(definition, submission.answers)}
    for row in SubmissionFile.objects.filter(submission=submission, purpose=FilePurpose.ATTACHMENT):
        if str(row.public_id) not in referenced:
            audit_record(
                action="submission.file_removed",
                actor=actor,
                municipality=submission.municipality,
                object_type="submission_file",
                object_id=str(row.public_id),
                request=request,
                details={"submission": str(submission.public_id), "field": row.field_path},
            )
            row.delete()


@transaction.atomic
def draft_save_with_files(
    *,
    draft: Submission,
    answers: dict[str, Any],
    uploads: list[PreparedUpload],
    actor: Any,
    request: HttpRequest | None,
) -> Submission:
    """Keep a page's answers on the draft together with the files they refer to (see attachments_sync)."""
    from . import journey

    with discard_stored_on_error():
        saved = journey.draft_save(draft=draft, answers=answers)
        attachments_sync(submission=saved, uploads=uploads, actor=actor, request=request)
        return saved


@transaction.atomic
def correction_save_with_files(
    *,
    submission: Submission,
    applicant: Any,
    answers: dict[str, Any],
    uploads: list[PreparedUpload],
    request: HttpRequest | None,
    fields: list[str] | None = None,
) -> Submission:
    """The applicant's corrected answers (only the fields asked for) with any replaced files."""
    from . import journey

    with discard_stored_on_error():
        saved = journey.correction_save(submission=submission, applicant=applicant, answers=answers, fields=fields)
        saved.form_version = submission.form_version
        attachments_sync(submission=saved, uploads=uploads, actor=applicant, request=request)
        return saved


# -- results (結果の交付) ---------------------------------------------------------------------------------------


@transaction.atomic
def result_issue(
    *, submission: Submission, actor: Any, upload: PreparedUpload, request: HttpRequest | None
) -> SubmissionFile:
    """Staff issue a result document; the applicant is told by e-mail and downloads it from マイページ."""
    locked = Submission.objects.select_for_update(of=("self",)).select_related("procedure").get(pk=submission.pk)
    if locked.status in (SubmissionStatus.DRAFT, SubmissionStatus.WITHDRAWN):
        raise ServiceError("result_closed", MSG_RESULT_CLOSED, field="file")
    existing = list(SubmissionFile.objects.filter(submission=locked, purpose=FilePurpose.RESULT))
    if len(existing) + 1 > int(settings.PROCEDURE_UPLOAD_MAX_FILES):
        raise ServiceError(
            "too_many_files", MSG_TOO_MANY % {"max": settings.PROCEDURE_UPLOAD_MAX_FILES}, field="file", status=422
        )
    with discard_stored_on_error():
        row = _row(locked, upload, purpose=FilePurpose.RESULT, path="", actor=actor)
        audit_record(
            action="submission.result_issued",
            actor=actor,
            municipality=locked.municipality,
            object_type="submission_file",
            object_id=str(row.public_id),
            request=request,
            details={
                "submission": str(locked.public_id),
                "receipt_number": locked.receipt_number,
                "content_type": row.content_type,
                "size": row.size,
                "sha256": row.sha256,
            },
        )
    if locked.applicant is not None:
        send_templated_email(
            to=locked.applicant.email,
            template="procedures/email/result_issued",
            context={"submission": locked, "procedure": locked.procedure},
            language=locked.applicant.preferred_language,
        )
    return row


@transaction.atomic
def result_remove(*, submission: Submission, actor: Any, file_id: str, request: HttpRequest | None) -> None:
    """Staff take back a result uploaded by mistake; the stored object goes when this commits."""
    row = submission_file_get(submission, file_id, purpose=FilePurpose.RESULT)
    audit_record(
        action="submission.result_removed",
        actor=actor,
        municipality=submission.municipality,
        object_type="submission_file",
        object_id=str(row.public_id),
        request=request,
        details={"submission": str(submission.public_id), "receipt_number": submission.receipt_number},
    )
    row.delete()


# -- reads ---------------------------------------------------------------------------------------------------


def submission_file_get(submission: Submission, file_id: str, *, purpose: str | None = None) -> SubmissionFile:
    """One file of this application (404 for anything else, malformed ids included)."""
    queryset = SubmissionFile.objects.filter(submission=submission)
    if purpose is not None:
        queryset = queryset.filter(purpose=purpose)
    return get_object_in_municipality(queryset, submission.municipality, public_id=file_id)


def results_of(submission: Submission) -> list[SubmissionFile]:
    return list(SubmissionFile.objects.filter(submission=submission, purpose=FilePurpose.RESULT).order_by("created_at"))


def file_download_record(*, row: SubmissionFile, actor: Any, staff: bool, request: HttpRequest) -> None:
    """Audit a download: staff reading an applicant's file is a personal-data view; the applicant's own
    download is recorded too."""
    submission = row.submission
    if staff:
        audit_personal_data_viewed(
            actor=actor,
            municipality=submission.municipality,
            object_type="submission_file",
            object_id=str(row.public_id),
            fields=[row.field_path or row.purpose],
            request=request,
        )
        return
    audit_record(
        action="submission.file_downloaded",
        actor=actor,
        municipality=submission.municipality,
        object_type="submission_file",
        object_id=str(row.public_id),
        request=request,
        details={"submission": str(submission.public_id), "purpose": row.purpose},
    )
