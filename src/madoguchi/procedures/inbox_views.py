"""The staff inbox: applications of the staff member's 課, filters, and the processing actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm
from madoguchi.audit.services import audit_personal_data_viewed
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.templatetags.madoguchi_ui import join_list
from madoguchi.staff.decorators import staff_view

from . import files, selectors, services, submissions
from .engine.definition import DefinitionError, validate_definition
from .engine.summary import summarise
from .export import available_columns, export_response
from .manifest import module_required
from .models import STAFF_TRANSITIONS, Submission, SubmissionStatus
from .staff_forms import (
    AssignForm,
    BulkActionForm,
    CorrectionForm,
    ExportColumnsForm,
    InboxFilterForm,
    ResultForm,
    StatusForm,
    TextForm,
)

PAGE_SIZE = 50


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def inbox(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    procedures = selectors.procedure_list_for_staff(municipality, request.user)
    return _render_inbox(request, InboxFilterForm(request.GET or None, procedures=procedures))


def _render_inbox(
    request: HttpRequest, form: InboxFilterForm, *, bulk_form: BulkActionForm | None = None
) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.submission_inbox(
        municipality,
        request.user,
        procedure=filters.get("procedure"),
        status=filters.get("status", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        assignee=filters.get("assignee", ""),
        query=filters.get("q", ""),
    )
    if form.is_bound and not form.is_valid():
        items = items.none()
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    from madoguchi.payments.selectors import payment_status_map

    from .journey import PAYMENT_PURPOSE

    paid = payment_status_map(municipality, PAYMENT_PURPOSE, [str(item.public_id) for item in page])
    for item in page:
        item.payment = paid.get(str(item.public_id))  # type: ignore[attr-defined]
    return render(
        request,
        "procedures/inbox.html",
        {
            "form": form,
            "page_obj": page,
            "querystring_without_page": (query.urlencode() + "&") if query else "",
            "bulk_form": bulk_form or BulkActionForm(),
            "return_query": request.GET.urlencode(),
            # What was ticked stays ticked when the bulk form comes back with a problem.
            "selected_ids": set(request.POST.getlist("selected")) if bulk_form is not None else set(),
        },
        status=400 if (form.is_bound and not form.is_valid()) or bulk_form is not None else 200,
    )


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """The same action on several applications chosen in the inbox; says what changed and what could not."""
    municipality = request.municipality  # type: ignore[attr-defined]
    # Back to the same filtered list: the query string is re-encoded, never used as a URL.
    return_query = QueryDict(request.POST.get("return_query", "")[:2000])
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        procedures = selectors.procedure_list_for_staff(municipality, request.user)
        request.GET = return_query
        return _render_inbox(request, InboxFilterForm(return_query or None, procedures=procedures), bulk_form=form)
    outcome = submissions.submissions_bulk_apply(
        municipality=municipality,
        actor=request.user,
        public_ids=form.cleaned_data["selected"],
        action=form.cleaned_data["action"],
        request=request,
    )
    if outcome.done:
        messages.success(
            request,
            _("%(count)s件の申請を変更しました：%(numbers)s")
            % {"count": len(outcome.done), "numbers": join_list(outcome.done)},
        )
    for number, why in outcome.refused:
        messages.warning(request, _("%(number)sは変更できませんでした：%(why)s") % {"number": number, "why": why})
    if outcome.missing:
        messages.warning(
            request, _("%(count)s件は見つかりませんでした。一覧を開き直してください。") % {"count": outcome.missing}
        )
    target = reverse("procedures_staff:inbox", kwargs={"municipality_slug": municipality.slug})
    return redirect(f"{target}?{return_query.urlencode()}" if return_query else target)


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def inbox_export(request: HttpRequest) -> HttpResponseBase:
    """The inbox's filtered applications of one procedure as CSV or JSON (the procedure filter is required:
    columns come from its form and its export settings)."""
    municipality = request.municipality  # type: ignore[attr-defined]
    procedures = selectors.procedure_list_for_staff(municipality, request.user)
    form = InboxFilterForm(request.GET, procedures=procedures)
    if not form.is_valid() or form.cleaned_data.get("procedure") is None:
        if form.is_valid():
            form.add_error("procedure", _("書き出す手続を選んでください。"))
        return _render_inbox(request, form)
    filters = form.cleaned_data
    procedure = filters["procedure"]
    kind = filters.get("format") or "csv"
    items = selectors.submission_inbox(
        municipality,
        request.user,
        procedure=procedure,
        status=filters.get("status", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        assignee=filters.get("assignee", ""),
        query=filters.get("q", ""),
    )
    return export_response(request, items, procedure=procedure, kind=kind, actor=request.user, filters=filters)


@require_http_methods(["GET", "POST"])
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def export_columns(request: HttpRequest, procedure_id: str) -> HttpResponse:
    """Choose and order the columns of this procedure's export (blank everywhere = every column)."""
    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_for_staff(municipality, request.user, procedure_id)
    columns = available_columns(procedure)
    data = request.POST if request.method == "POST" else None
    if data is not None and "reset" in data:
        data = None
        chosen: list[str] | None = []
        form = ExportColumnsForm(columns=columns, current=[])
    else:
        form = ExportColumnsForm(data, columns=columns, current=list(procedure.export_columns))
        chosen = form.cleaned_data["columns"] if data is not None and form.is_valid() else None
    if request.method == "POST" and chosen is not None:
        try:
            services.procedure_set_export_columns(
                procedure=procedure, actor=request.user, columns=chosen, request=request
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("書き出す列を保存しました。"))
            return redirect(
                "procedures_staff:export_columns", municipality_slug=municipality.slug, procedure_id=procedure_id
            )
    return render(
        request,
        "procedures/export_columns.html",
        {"form": form, "procedure": procedure},
        status=400 if form.is_bound and form.errors else 200,
    )


def _detail_context(submission: Submission, **forms: Any) -> dict[str, Any]:
    try:
        definition = validate_definition(submission.form_version.definition)
    except DefinitionError:
        definition = None
    sections = summarise(definition, submission.answers, language=get_language()) if definition else []
    answer_fields = [(row.field_id, row.label) for section in sections for row in section.rows]
    allowed = [
        (status, str(SubmissionStatus(status).label))
        for status in sorted(STAFF_TRANSITIONS.get(submission.status, frozenset()))
        if status != SubmissionStatus.CORRECTION_REQUESTED
    ]
    staff = selectors.submission_assignable_staff(submission)
    from madoguchi.payments.selectors import payments_for_object

    from .journey import PAYMENT_PURPOSE

    return {
        "submission": submission,
        "payments": payments_for_object(submission.municipality, PAYMENT_PURPOSE, str(submission.public_id)),
        "sections": sections,
        "status_form": forms.get("status_form") or StatusForm(allowed=allowed),
        "correction_form": forms.get("correction_form") or CorrectionForm(answer_fields=answer_fields),
        "note_form": forms.get("note_form") or TextForm(prefix="note"),
        "message_form": forms.get("message_form") or TextForm(prefix="message"),
        "assign_form": forms.get("assign_form")
        or AssignForm(staff=staff, initial={"assignee": submission.assignee_id or ""}),
        "can_request_correction": SubmissionStatus.CORRECTION_REQUESTED in STAFF_TRANSITIONS.get(submission.status, ()),
        "allowed_statuses": allowed,
        "assignable": staff,
        "answer_fields": answer_fields,
        "result_form": forms.get("result_form") or ResultForm(),
        "results": files.results_of(submission),
    }


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def submission_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    submission = selectors.submission_get_for_staff(municipality, request.user, submission_id)
    audit_personal_data_viewed(
        actor=request.user,
        municipality=municipality,
        object_type="submission",
        object_id=submission.receipt_number,
        fields=sorted(submission.answers),
        request=request,
    )
    return render(request, "procedures/submission_detail.html", _detail_context(submission))


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def submission_action(request: HttpRequest, submission_id: str, action: str) -> HttpResponse:
    """One POST endpoint per action (status, correction, note, message, assign); errors re-render the page
    with the message at the field and everything typed kept."""
    municipality = request.municipality  # type: ignore[attr-defined]
    submission = selectors.submission_get_for_staff(municipality, request.user, submission_id)
    context = _detail_context(submission)
    bound: Any
    try:
        if action == "status":
            bound = StatusForm(request.POST, allowed=context["allowed_statuses"])
            context["status_form"] = bound
            if bound.is_valid():
                submissions.submission_change_status(
                    submission=submission,
                    actor=request.user,
                    to_status=bound.cleaned_data["status"],
                    text=bound.cleaned_data["text"],
                    request=request,
                )
        elif action == "correction":
            bound = CorrectionForm(request.POST, answer_fields=context["answer_fields"])
            context["correction_form"] = bound
            if bound.is_valid():
                submissions.submission_request_correction(
                    submission=submission,
                    actor=request.user,
                    fields=bound.cleaned_data["answer_ids"],
                    message=bound.cleaned_data["message"],
                    request=request,
                )
        elif action in ("note", "message"):
            bound = TextForm(request.POST, prefix=action)
            context[f"{action}_form"] = bound
            if bound.is_valid():
                service = (
                    submissions.submission_add_note if action == "note" else submissions.submission_message_applicant
                )
                service(submission=submission, actor=request.user, text=bound.cleaned_data["text"], request=request)
        elif action == "assign":
            bound = AssignForm(request.POST, staff=context["assignable"])
            context["assign_form"] = bound
            if bound.is_valid():
                chosen = bound.cleaned_data["assignee"]
                assignee = next((user for user in context["assignable"] if str(user.pk) == chosen), None)
                submissions.submission_assign(
                    submission=submission, actor=request.user, assignee=assignee, request=request
                )
        else:
            return redirect(
                "procedures_staff:submission", municipality_slug=municipality.slug, submission_id=submission_id
            )
    except ServiceError as error:
        field = {"fields": "answer_ids"}.get(error.field or "", error.field)
        bound.add_error(field if field in bound.fields else None, str(error.message))
    if bound.is_bound and not bound.errors:
        messages.success(request, _("保存しました。"))
        return redirect("procedures_staff:submission", municipality_slug=municipality.slug, submission_id=submission_id)
    return render(request, "procedures/submission_detail.html", context, status=400)
