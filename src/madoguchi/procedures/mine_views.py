"""マイページ for applications: a resident's own applications, their progress, corrections and withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.ratelimit import rate_limit
from madoguchi.core.tenancy import municipality_view

from . import files, journey, selectors, submissions
from .engine.definition import validate_definition
from .engine.forms import page_form
from .engine.summary import summarise
from .forms import ApplicantMessageForm
from .manifest import module_required
from .models import WITHDRAWABLE, SubmissionStatus
from .uploads import show_upload_errors, take_page_uploads


def _detail_url(request: HttpRequest, submission_id: str) -> str:
    return reverse(
        "procedures:mine_detail",
        kwargs={"municipality_slug": request.municipality.slug, "submission_id": submission_id},  # type: ignore[attr-defined]
    )


@require_GET
@login_required
@municipality_view
@module_required
def mine(request: HttpRequest) -> HttpResponse:
    items = selectors.submissions_of_applicant(request.municipality, request.user)  # type: ignore[attr-defined]
    return render(request, "procedures/mine.html", {"items": items})


@never_cache
@require_GET
@login_required
@municipality_view
@module_required
def mine_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    return _render_detail(request, submission_id)


def _render_detail(
    request: HttpRequest, submission_id: str, *, message_form: ApplicantMessageForm | None = None
) -> HttpResponse:
    submission = selectors.submission_of_applicant(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    if submission.status == SubmissionStatus.DRAFT:
        return redirect(
            "procedures:apply_check",
            municipality_slug=request.municipality.slug,  # type: ignore[attr-defined]
            procedure_slug=submission.procedure.slug,
            draft_id=submission.public_id,
        )
    definition = validate_definition(submission.form_version.definition)
    sections = summarise(definition, submission.answers, language=get_language())
    correction_pages = [
        section.page_id
        for section in sections
        if any(row.field_id in submission.correction_fields for row in section.rows)
    ]
    from madoguchi.payments.selectors import payments_for_object

    from .journey import PAYMENT_PURPOSE

    return render(
        request,
        "procedures/mine_detail.html",
        {
            "submission": submission,
            "payments": payments_for_object(request.municipality, PAYMENT_PURPOSE, str(submission.public_id)),  # type: ignore[attr-defined]
            "sections": sections,
            "correction_pages": correction_pages,
            "can_withdraw": submission.status in WITHDRAWABLE,
            "can_message": submission.status in submissions.REPLYABLE,
            "message_form": message_form or ApplicantMessageForm(),
            "results": files.results_of(submission),
        },
        status=400 if message_form is not None else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@municipality_view
@module_required
def mine_correct(request: HttpRequest, submission_id: str, page_id: str) -> HttpResponse:
    """Edit a page holding answers staff asked to correct; only those answers are taken."""
    submission = selectors.submission_of_applicant(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    if submission.status != SubmissionStatus.CORRECTION_REQUESTED:
        return redirect(_detail_url(request, submission_id))
    definition = validate_definition(submission.form_version.definition)
    page = next((p for p in definition.pages if p.id == page_id), None)
    if page is None:
        raise Http404
    asked = [member.id for member in page.fields if member.id in submission.correction_fields]
    if not asked:
        raise Http404
    form = page_form(
        definition,
        page_id,
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
        initial=submission.answers,
        language=get_language(),
        only=asked,  # only the questions staff asked to correct are shown and taken
    )
    uploads, upload_errors = take_page_uploads(form, request) if request.method == "POST" else ([], {})
    if request.method == "POST" and form.is_valid() and not upload_errors:
        try:
            files.correction_save_with_files(
                submission=submission,
                applicant=request.user,
                answers=form.answers(),
                fields=asked,
                uploads=uploads,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return redirect(_detail_url(request, submission_id))
    show_upload_errors(form, upload_errors)
    return render(
        request,
        "procedures/mine_correct.html",
        {"submission": submission, "form": form, "page_title": page.title.get(get_language() or "ja")},
        status=400 if request.method == "POST" and form.action is None else 200,
    )


@require_POST
@login_required
@municipality_view
@module_required
def mine_resubmit(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = selectors.submission_of_applicant(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    try:
        journey.correction_resubmit(submission=submission, applicant=request.user, request=request)
    except journey.IncompleteAnswers:
        messages.error(request, _("修正が必要な項目が残っています。各項目を確認してください。"))
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("修正した内容で再提出しました。"))
    return redirect(_detail_url(request, submission_id))


@require_POST
@login_required
@municipality_view
@module_required
def mine_withdraw(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = selectors.submission_of_applicant(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    try:
        submissions.submission_withdraw(
            submission=submission, applicant=request.user, reason=request.POST.get("reason", "")[:1000], request=request
        )
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("申請を取り下げました。"))
    return redirect(_detail_url(request, submission_id))


@never_cache
@require_POST
@login_required
@municipality_view
@module_required
@rate_limit("application")
def mine_message(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The applicant writes to the department; a mistake re-renders the page with the text kept."""
    submission = selectors.submission_of_applicant(request.municipality, request.user, submission_id)  # type: ignore[attr-defined]
    form = ApplicantMessageForm(request.POST)
    if form.is_valid():
        try:
            submissions.submission_reply_from_applicant(
                submission=submission, applicant=request.user, text=form.cleaned_data["text"], request=request
            )
        except ServiceError as error:
            if error.code == "not_replyable":  # closed meanwhile: the page no longer offers the form
                messages.error(request, str(error.message))
                return redirect(_detail_url(request, submission_id))
            form.add_error("text", str(error.message))
        else:
            messages.success(request, _("担当課にメッセージを送りました。"))
            return redirect(_detail_url(request, submission_id))
    return _render_detail(request, submission_id, message_form=form)
