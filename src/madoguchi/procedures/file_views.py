"""Downloading the files of an application, and the staff's result documents (結果の交付).

Every download is permission-checked (the applicant's own draft or application; staff of the application's
課 with procedures.manage) and audited; anyone else gets 404. Responses are attachments with the sniffed
type, nosniff, no caching, and the kept name (RFC 6266 / RFC 5987 filename*).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from madoguchi.accounts.permissions import Perm
from madoguchi.core.errors import ServiceError
from madoguchi.core.tenancy import municipality_view
from madoguchi.staff.decorators import staff_view

from . import files, selectors
from .journey_views import _draft_for
from .manifest import module_required
from .models import FilePurpose, SubmissionFile
from .staff_forms import ResultForm
from .uploads import UploadRefused, prepare_upload, refused_in_request

logger = logging.getLogger(__name__)


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real (UTF-8) name as filename* (RFC 6266, 5987)."""
    stem, dot, extension = name.rpartition(".")
    safe = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%;' else "_" for ch in (stem if dot else name))
    if not safe.strip("_ "):
        safe = "file"
    fallback = f"{safe}.{extension}" if dot else safe
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(row: SubmissionFile) -> HttpResponseBase:
    try:
        handle = files.file_storage().open(row.storage_name, "rb")
    except (FileNotFoundError, OSError) as exc:
        logger.error("stored file missing for submission file %s", row.public_id)
        raise Http404 from exc
    response = FileResponse(handle, content_type=row.content_type)
    response["Content-Disposition"] = content_disposition(row.original_name)
    response["Content-Length"] = str(row.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_GET
@municipality_view
@module_required
def apply_file(request: HttpRequest, procedure_slug: str, draft_id: str, file_id: str) -> HttpResponseBase:
    """A file attached to one's own draft (signed in: one's account; otherwise the session that started it)."""
    procedure = selectors.procedure_get_published(request.municipality, procedure_slug)  # type: ignore[attr-defined]
    draft = _draft_for(request, procedure, draft_id)
    row = files.submission_file_get(draft, file_id, purpose=FilePurpose.ATTACHMENT)
    files.file_download_record(row=row, actor=request.user, staff=False, request=request)
    return file_response(row)


@never_cache
@require_GET
@login_required
@municipality_view
@module_required
def mine_file(request: HttpRequest, submission_id: str, file_id: str) -> HttpResponseBase:
    """A file of one's own application: an attachment, or a result issued by the municipality."""
    submission = selectors.submission_of_applicant(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    row = files.submission_file_get(submission, file_id)
    files.file_download_record(row=row, actor=request.user, staff=False, request=request)
    return file_response(row)


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_file(request: HttpRequest, submission_id: str, file_id: str) -> HttpResponseBase:
    submission = selectors.submission_get_for_staff(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    row = files.submission_file_get(submission, file_id)
    files.file_download_record(row=row, actor=request.user, staff=True, request=request)
    return file_response(row)


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_result_upload(request: HttpRequest, submission_id: str) -> HttpResponse:
    from .inbox_views import _detail_context

    municipality = request.municipality  # type: ignore[attr-defined]
    submission = selectors.submission_get_for_staff(municipality, request.user, submission_id)
    form = ResultForm(request.POST, request.FILES)
    refused = refused_in_request(request).get("file")
    if refused:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", refused)
    elif form.is_valid():
        try:
            upload = prepare_upload(
                form.cleaned_data["file"],
                kinds=("pdf", "image"),
                max_bytes=int(settings.PROCEDURE_RESULT_MAX_MB) * 1024 * 1024,
                field_name="file",
            )
            files.result_issue(submission=submission, actor=request.user, upload=upload, request=request)
        except (UploadRefused, ServiceError) as error:
            form.add_error("file", str(error.message))
        else:
            messages.success(request, _("結果の文書を交付し、申請者にメールで知らせました。"))
            return redirect(
                "procedures_staff:submission", municipality_slug=municipality.slug, submission_id=submission_id
            )
    return render(
        request, "procedures/submission_detail.html", _detail_context(submission, result_form=form), status=400
    )


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_result_remove(request: HttpRequest, submission_id: str, file_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    submission = selectors.submission_get_for_staff(municipality, request.user, submission_id)
    files.result_remove(submission=submission, actor=request.user, file_id=file_id, request=request)
    messages.success(request, _("結果の文書を取り消しました。"))
    return redirect("procedures_staff:submission", municipality_slug=municipality.slug, submission_id=submission_id)
