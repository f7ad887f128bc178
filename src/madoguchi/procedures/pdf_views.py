"""Printable PDFs of an application: the staff copy (inbox) and the applicant's own copy (マイページ)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from madoguchi.accounts.permissions import Perm
from madoguchi.audit.services import audit_record
from madoguchi.core.tenancy import municipality_view
from madoguchi.staff.decorators import staff_view

from . import selectors
from .manifest import module_required
from .models import Submission, SubmissionStatus


def application_pdf(submission: Submission, *, language: str, for_staff: bool, printed_by: Any) -> bytes:
    # fpdf2 is imported on the first printout, not with the URLconf: it is a third of what every web process
    # would otherwise import before answering its first request of any kind.
    from .pdf import application_pdf as render

    return render(submission, language=language, for_staff=for_staff, printed_by=printed_by)


def _pdf_response(submission: Submission, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{submission.receipt_number}.pdf"
    # RFC 6266: filename* (RFC 8187, UTF-8) for every current browser, and an ASCII-only filename beside it
    # for old clients; receipt numbers are ASCII, but the header stays well-formed whatever they hold.
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response["Content-Disposition"] = f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def submission_pdf(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The staff copy: only applications of the staff member's 課 (404 otherwise, as on the detail page)."""
    municipality = request.municipality  # type: ignore[attr-defined]
    submission = selectors.submission_get_for_staff(municipality, request.user, submission_id)
    content = application_pdf(submission, language=get_language() or "ja", for_staff=True, printed_by=request.user)
    # The same event as audit_personal_data_viewed (the detail page), saying it was printed.
    audit_record(
        action="personal_data.view",
        actor=request.user,
        municipality=municipality,
        object_type="submission",
        object_id=submission.receipt_number,
        request=request,
        details={"fields": sorted(submission.answers), "format": "pdf"},
    )
    return _pdf_response(submission, content)


@require_GET
@login_required
@municipality_view
@module_required
def mine_pdf(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The applicant's own copy; a draft has none (404)."""
    municipality = request.municipality  # type: ignore[attr-defined]
    submission = selectors.submission_of_applicant(municipality, request.user, submission_id)
    if submission.status == SubmissionStatus.DRAFT:
        raise Http404
    content = application_pdf(submission, language=get_language() or "ja", for_staff=False, printed_by=request.user)
    audit_record(
        action="submission.pdf_downloaded",
        actor=request.user,
        municipality=municipality,
        object_type="submission",
        object_id=submission.receipt_number,
        request=request,
        details={"language": get_language() or "ja"},
    )
    return _pdf_response(submission, content)
