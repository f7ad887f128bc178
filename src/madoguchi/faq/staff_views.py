"""Back office of the FAQ module: FAQ CRUD with history, CSV import/export, synonyms, the questions the bot
could not answer (grouped, turned into FAQs or phrasings), and "not helpful" feedback per FAQ."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm, department_scope
from madoguchi.audit.services import audit_record
from madoguchi.core.csvexport import stream_csv
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.pagination import paginate
from madoguchi.staff.decorators import staff_view

from . import csvio, selectors, services
from .forms import FaqForm, ImportForm, PhrasingForm, SynonymForm
from .manifest import module_required


def _require_admin_scope(request: HttpRequest) -> None:
    """Import, export and synonyms touch every 課's FAQs: municipality admins only."""
    if department_scope(request.user, request.municipality) is not None:  # type: ignore[attr-defined]
        raise PermissionDenied


@require_GET
@staff_view(Perm.FAQ_MANAGE)
@module_required
def faq_list(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    search = request.GET.get("q", "").strip()[:100]
    faqs = selectors.faq_list_for_staff(municipality, request.user, search=search)
    page, querystring = paginate(request, faqs, 50)
    return render(
        request,
        "faq/staff_list.html",
        {
            "page_obj": page,
            "querystring_without_page": querystring,
            "search": search,
            "is_admin_scope": department_scope(request.user, municipality) is None,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FAQ_MANAGE)
@module_required
def faq_edit(request: HttpRequest, faq_id: str | None = None) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    faq = selectors.faq_get_for_staff(municipality, request.user, faq_id) if faq_id else None
    resolves = request.POST.getlist("resolves") if request.method == "POST" else request.GET.getlist("resolves")
    initial = {}
    if faq is None and request.method == "GET":
        # "New FAQ" from a group of unanswered questions: the residents' wording prefilled.
        group = list(selectors.questions_in_municipality(municipality, resolves).values_list("text", flat=True))
        if group:
            initial = {"question": group[0][:200], "phrasings": "\n".join(dict.fromkeys(t[:200] for t in group[1:6]))}
    form = FaqForm(
        request.POST or None,
        instance=faq if request.method == "GET" else None,
        initial={
            **initial,
            "department": faq.department if faq else None,
            "last_reviewed_on": faq.last_reviewed_on if faq else timezone.localdate(),
        },
        municipality=municipality,
        departments=department_scope(request.user, municipality),
    )
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data.get(key) for key in services.EDITABLE_FIELDS}
        try:
            if faq is None:
                services.faq_create(
                    municipality=municipality, actor=request.user, data=data, request=request, resolves=resolves
                )
            else:
                services.faq_update(faq=faq, actor=request.user, data=data, request=request)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("FAQを保存しました。"))
            return redirect("faq_staff:list", municipality_slug=municipality.slug)
    revisions = list(selectors.faq_revisions(faq)[:20]) if faq else []
    not_helpful = list(selectors.not_helpful_questions(municipality, faq)) if faq else []
    return render(
        request,
        "faq/staff_edit.html",
        {"form": form, "faq": faq, "revisions": revisions, "resolves": resolves[:500], "not_helpful": not_helpful},
    )


@require_POST
@staff_view(Perm.FAQ_MANAGE)
@module_required
def faq_delete(request: HttpRequest, faq_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    faq = selectors.faq_get_for_staff(municipality, request.user, faq_id)
    try:
        services.faq_delete(faq=faq, actor=request.user, request=request)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("FAQを削除しました。"))
    return redirect("faq_staff:list", municipality_slug=municipality.slug)


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FAQ_MANAGE)
@module_required
def faq_import(request: HttpRequest) -> HttpResponse:
    _require_admin_scope(request)
    municipality = request.municipality  # type: ignore[attr-defined]
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > csvio.MAX_BYTES:
                raise ServiceError("csv_too_large", _("ファイルは5MB以内にしてください。"), field="file")
            result = csvio.faq_import(municipality=municipality, actor=request.user, raw=upload.read(), request=request)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            if result.errors:
                errors = result.errors[:100]
                form.add_error("file", _("取り込めない行があったため、何も取り込んでいません。"))
            else:
                messages.success(
                    request,
                    _("%(created)d件を追加し、%(updated)d件を更新しました。")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("faq_staff:list", municipality_slug=municipality.slug)
    return render(request, "faq/staff_import.html", {"form": form, "row_errors": errors})


@require_GET
@staff_view(Perm.FAQ_MANAGE)
@module_required
def faq_export(request: HttpRequest) -> StreamingHttpResponse:
    _require_admin_scope(request)
    municipality = request.municipality  # type: ignore[attr-defined]
    faqs = selectors.faq_list_for_staff(municipality, request.user)
    audit_record(
        action="faq.exported",
        actor=request.user,
        municipality=municipality,
        object_type="faq",
        object_id="",
        request=request,
        details={"count": faqs.count()},
    )
    response = StreamingHttpResponse(
        stream_csv(csvio.EXPORT_COLUMNS, csvio.export_rows(faqs.iterator(chunk_size=500))),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="faq-{municipality.slug}-{stamp}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FAQ_MANAGE)
@module_required
def synonyms(request: HttpRequest) -> HttpResponse:
    _require_admin_scope(request)
    municipality = request.municipality  # type: ignore[attr-defined]
    form = SynonymForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.synonym_save(
                municipality=municipality,
                actor=request.user,
                phrases=form.cleaned_data["phrases"],
                synonym=None,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("同じ意味の言葉を追加しました。"))
            return redirect("faq_staff:synonyms", municipality_slug=municipality.slug)
    return render(request, "faq/staff_synonyms.html", {"form": form, "synonyms": selectors.synonym_list(municipality)})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FAQ_MANAGE)
@module_required
def synonym_edit(request: HttpRequest, synonym_id: str) -> HttpResponse:
    _require_admin_scope(request)
    municipality = request.municipality  # type: ignore[attr-defined]
    synonym = selectors.synonym_get(municipality, synonym_id)
    if request.method == "POST" and request.POST.get("delete") == "1":
        services.synonym_delete(synonym=synonym, actor=request.user, request=request)
        messages.success(request, _("同じ意味の言葉を削除しました。"))
        return redirect("faq_staff:synonyms", municipality_slug=municipality.slug)
    form = SynonymForm(request.POST or None, initial={"phrases": synonym.phrases})
    if request.method == "POST" and form.is_valid():
        try:
            services.synonym_save(
                municipality=municipality,
                actor=request.user,
                phrases=form.cleaned_data["phrases"],
                synonym=synonym,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("同じ意味の言葉を保存しました。"))
            return redirect("faq_staff:synonyms", municipality_slug=municipality.slug)
    return render(request, "faq/staff_synonym_edit.html", {"form": form, "synonym": synonym})


@require_GET
@staff_view(Perm.FAQ_MANAGE)
@module_required
def misses(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    groups = selectors.miss_groups(municipality)
    faqs = selectors.faq_list_for_staff(municipality, request.user)
    page, querystring = paginate(request, groups, 30)
    forms = [
        (
            group,
            PhrasingForm(
                faqs=faqs,
                initial={"faq": group.best_faq.public_id if group.best_faq else None, "phrasing": group.text[:200]},
                auto_id=f"id_group{index}_%s",
            ),
        )
        for index, group in enumerate(page.object_list)
    ]
    return render(
        request, "faq/staff_misses.html", {"page_obj": page, "querystring_without_page": querystring, "groups": forms}
    )


@require_POST
@staff_view(Perm.FAQ_MANAGE)
@module_required
def add_phrasing(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = PhrasingForm(request.POST, faqs=selectors.faq_list_for_staff(municipality, request.user))
    if form.is_valid():
        try:
            services.faq_add_phrasing(
                faq=form.cleaned_data["faq"],
                actor=request.user,
                phrasing=form.cleaned_data["phrasing"],
                resolves=request.POST.getlist("resolves"),
                request=request,
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("言い換えとしてFAQに追加しました。"))
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
    return redirect("faq_staff:misses", municipality_slug=municipality.slug)


@require_GET
@staff_view(Perm.FAQ_MANAGE)
@module_required
def feedback(request: HttpRequest) -> HttpResponse:
    rows = selectors.feedback_by_faq(request.municipality)  # type: ignore[attr-defined]
    return render(request, "faq/staff_feedback.html", {"rows": rows})
