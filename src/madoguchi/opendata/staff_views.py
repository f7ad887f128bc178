"""The back office of the open data module: datasets, uploads with the validation report, publishing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm, department_scope
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.staff.decorators import staff_view

from . import selectors, services
from .forms import DatasetForm, LinkForm, LiveDatasetForm, PublishForm, UploadForm
from .manifest import module_required
from .standards import get_standard


@require_GET
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    page = Paginator(selectors.datasets_for_staff(municipality, request.user), 50).get_page(request.GET.get("page"))
    datasets = list(page.object_list)
    totals = selectors.download_totals(datasets)
    rows = [(dataset, totals.get(dataset.pk, 0)) for dataset in datasets]
    return render(
        request,
        "opendata/staff_list.html",
        {"page_obj": page, "rows": rows, "querystring_without_page": "", "live_form": LiveDatasetForm()},
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def dataset_edit(request: HttpRequest, dataset_id: str | None = None) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    dataset = selectors.dataset_for_staff(municipality, request.user, dataset_id) if dataset_id else None
    form = DatasetForm(
        request.POST or None,
        initial=DatasetForm.initial_for(dataset) if dataset else None,
        municipality=municipality,
        departments=department_scope(request.user, municipality),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.dataset_save(
                municipality=municipality,
                actor=request.user,
                data=dict(form.cleaned_data),
                dataset=dataset,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("データセットを保存しました。"))
            return redirect("opendata_staff:detail", municipality_slug=municipality.slug, dataset_id=saved.public_id)
    return render(request, "opendata/staff_edit.html", {"form": form, "dataset": dataset})


def _detail_context(request: HttpRequest, dataset: Any, **extra: Any) -> dict[str, Any]:
    resources = list(dataset.resources.all().defer("content"))
    totals = {}
    for resource in resources:
        totals[resource.pk] = sum(resource.download_counts.values_list("count", flat=True))
    return {
        "dataset": dataset,
        "resources": [(r, totals[r.pk]) for r in resources],
        "standard": get_standard(dataset.standard_number),
        "upload_form": extra.pop("upload_form", None) or UploadForm(),
        "link_form": extra.pop("link_form", None) or LinkForm(),
        "publish_form": extra.pop("publish_form", None) or PublishForm(),
        "failing": any(r.is_tabular and not r.conforms for r in resources),
        **extra,
    }


@require_GET
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def dataset_detail(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    return render(request, "opendata/staff_detail.html", _detail_context(request, dataset))


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def resource_upload(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    form = UploadForm(request.POST, request.FILES)
    report = None
    resource = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        replace_id = request.POST.get("replace", "")
        try:
            existing = selectors.resource_for_staff(dataset, replace_id) if replace_id else None
            resource, report = services.resource_upload(
                dataset=dataset,
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                raw=upload.read(),
                filename=upload.name,
                resource=existing,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            if report is not None and not report.conforms:
                messages.warning(
                    request, _("ファイルを登録しましたが、標準に適合しない箇所があります。下の一覧を確認してください。")
                )
            else:
                messages.success(request, _("ファイルを登録しました。"))
            form = UploadForm()
    dataset.refresh_from_db()
    return render(
        request,
        "opendata/staff_detail.html",
        _detail_context(request, dataset, upload_form=form, report=report, reported=resource),
        status=200 if form.is_bound is False or not form.errors else 400,
    )


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def resource_link(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            services.resource_link_add(
                dataset=dataset,
                actor=request.user,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("リンクを登録しました。"))
            return redirect(
                "opendata_staff:detail", municipality_slug=dataset.municipality.slug, dataset_id=dataset.public_id
            )
    return render(request, "opendata/staff_detail.html", _detail_context(request, dataset, link_form=form), status=400)


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def resource_delete(request: HttpRequest, dataset_id: str, resource_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    resource = selectors.resource_for_staff(dataset, resource_id)
    services.resource_delete(resource=resource, actor=request.user, request=request)
    messages.success(request, _("リソースを削除しました。"))
    return redirect("opendata_staff:detail", municipality_slug=dataset.municipality.slug, dataset_id=dataset.public_id)


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def dataset_publish(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        services.dataset_publish(
            dataset=dataset,
            actor=request.user,
            nonconforming=form.cleaned_data.get("nonconforming", False),
            request=request,
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return render(
            request, "opendata/staff_detail.html", _detail_context(request, dataset, publish_form=form), status=409
        )
    messages.success(request, _("データセットを公開しました。"))
    return redirect("opendata_staff:detail", municipality_slug=dataset.municipality.slug, dataset_id=dataset.public_id)


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def dataset_unpublish(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    services.dataset_unpublish(dataset=dataset, actor=request.user, request=request)
    messages.success(request, _("データセットを非公開にしました。"))
    return redirect("opendata_staff:detail", municipality_slug=dataset.municipality.slug, dataset_id=dataset.public_id)


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def live_dataset_create(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = LiveDatasetForm(request.POST)
    if form.is_valid():
        try:
            dataset = services.live_dataset_create(
                municipality=municipality,
                actor=request.user,
                provider_key=form.cleaned_data["provider_key"],
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("自動生成のデータセットを作りました。"))
            return redirect("opendata_staff:detail", municipality_slug=municipality.slug, dataset_id=dataset.public_id)
    page = Paginator(selectors.datasets_for_staff(municipality, request.user), 50).get_page(1)
    totals = selectors.download_totals(list(page.object_list))
    return render(
        request,
        "opendata/staff_list.html",
        {
            "page_obj": page,
            "rows": [(d, totals.get(d.pk, 0)) for d in page.object_list],
            "querystring_without_page": "",
            "live_form": form,
        },
        status=400,
    )


@require_POST
@staff_view(Perm.OPENDATA_MANAGE)
@module_required
def live_dataset_regenerate(request: HttpRequest, dataset_id: str) -> HttpResponse:
    dataset = selectors.dataset_for_staff(request.municipality, request.user, dataset_id)  # type: ignore[attr-defined]
    if dataset.provider_key:
        services.live_dataset_regenerate(dataset=dataset, force=True)
        messages.success(request, _("元のデータから作り直しました。"))
    return redirect("opendata_staff:detail", municipality_slug=dataset.municipality.slug, dataset_id=dataset.public_id)
