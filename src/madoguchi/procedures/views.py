"""Resident-facing catalogue pages and the staff screens that maintain the catalogue."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm, department_scope
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.pagination import paginate
from madoguchi.core.selectors import department_list
from madoguchi.core.tenancy import municipality_view
from madoguchi.staff.decorators import staff_view

from . import selectors, services
from .catalogue_cache import CACHE_SECONDS, catalogue_version
from .forms import CatalogueSearchForm, ProcedureForm
from .manifest import module_required
from .models import Category, LifeEvent
from .presets import PRESETS

PAGE_SIZE = 20


@require_GET
@municipality_view
@module_required
def catalogue(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = CatalogueSearchForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    # The filter form and the results are the same for everyone asking the same thing in the same language;
    # a refused search (shown with its error summary) is never cached.
    cache_key = (
        f"madoguchi:procedures:catalogue:{municipality.pk}:{catalogue_version(municipality.pk)}:"
        f"{get_language()}:{hashlib.sha256(request.GET.urlencode().encode()).hexdigest()}"
        if valid
        else None
    )
    results_html = cache.get(cache_key) if cache_key else None
    if results_html is None:
        filters = form.cleaned_data if form.is_bound and valid else {}
        searching = any(filters.values())
        results = selectors.procedure_search(
            municipality,
            query=filters.get("q", ""),
            category=filters.get("category", ""),
            life_event=filters.get("life_event", ""),
        )
        page, querystring = paginate(request, results, PAGE_SIZE) if searching else (None, "")
        results_html = render_to_string(
            "procedures/_catalogue_results.html",
            {
                "form": form,
                "page_obj": page,
                "querystring_without_page": querystring,
                "categories": Category.choices,
                "life_events": LifeEvent.choices,
                "municipality": municipality,
            },
            request=request,
        )
        if cache_key:
            cache.set(cache_key, results_html, CACHE_SECONDS)
    return render(
        request,
        "procedures/catalogue.html",
        {"form": form, "results_html": mark_safe(results_html)},  # noqa: S308 - rendered above by our template
        status=200 if valid else 400,
    )


@require_GET
@municipality_view
@module_required
def procedure_detail(request: HttpRequest, procedure_slug: str) -> HttpResponse:
    procedure = selectors.procedure_get_published(request.municipality, procedure_slug)  # type: ignore[attr-defined]
    return render(
        request, "procedures/detail.html", {"procedure": procedure, "live_form": selectors.live_form(procedure)}
    )


@require_GET
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_list(request: HttpRequest) -> HttpResponse:
    procedures = selectors.procedure_list_for_staff(request.municipality, request.user)  # type: ignore[attr-defined]
    page, querystring = paginate(request, procedures, PAGE_SIZE)
    return render(request, "procedures/staff_list.html", {"page_obj": page, "querystring_without_page": querystring})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_presets(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    departments = department_list(municipality)
    allowed = department_scope(request.user, municipality)
    if allowed is not None:
        departments = departments.filter(pk__in=allowed)
    if request.method == "POST":
        chosen = request.POST.get("department", "")
        department = departments.filter(pk=chosen).first() if chosen.isdigit() else None
        try:
            procedure = services.procedure_preset_enable(
                municipality=municipality,
                actor=request.user,
                key=request.POST.get("preset", ""),
                department=department,
                request=request,
            )
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("ひな形から手続を作成しました。内容を確認してから公開してください。"))
            return redirect(
                "procedures_staff:edit", municipality_slug=municipality.slug, procedure_id=procedure.public_id
            )
    enabled = selectors.enabled_preset_keys(municipality)
    return render(
        request,
        "procedures/staff_presets.html",
        {
            "rows": [{"preset": preset, "category": Category(preset.category).label} for preset in PRESETS],
            "enabled": enabled,
            "departments": departments,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_edit(request: HttpRequest, procedure_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_for_staff(municipality, request.user, procedure_id)
    form = ProcedureForm(
        request.POST or None,
        instance=procedure,
        municipality=municipality,
        departments=department_scope(request.user, municipality),
    )
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data[key] for key in services.CATALOGUE_FIELDS}
        try:
            services.procedure_update(
                procedure=procedure,
                actor=request.user,
                data=data,
                life_events=form.cleaned_data["life_events"],
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("手続を保存しました。"))
            return redirect("procedures_staff:list", municipality_slug=municipality.slug)
    return render(request, "procedures/staff_edit.html", {"form": form, "procedure": procedure})


@require_POST
@staff_view(Perm.PROCEDURES_MANAGE)
@module_required
def staff_publish(request: HttpRequest, procedure_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_for_staff(municipality, request.user, procedure_id)
    publish = request.POST.get("publish") == "1"
    try:
        services.procedure_set_published(procedure=procedure, actor=request.user, published=publish, request=request)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("公開しました。") if publish else _("公開を停止しました。"))
    return redirect("procedures_staff:list", municipality_slug=municipality.slug)
