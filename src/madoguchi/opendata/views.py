"""Resident-facing catalogue pages, downloads and the DCAT endpoints."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from madoguchi.core.tenancy import municipality_view

from . import dcat, export, selectors, services
from .catalogue import Catalogue
from .ckan import _catalogue_for, package_dict
from .forms import SearchForm
from .manifest import module_required
from .models import Group, License, ResourceFormat
from .selectors import QueryError, SearchQuery
from .standards import get_standard

PAGE_SIZE = 20


def _catalogue(request: HttpRequest) -> Catalogue:
    municipality = request.municipality  # type: ignore[attr-defined]
    return Catalogue(municipality, f"{request.scheme}://{request.get_host()}/{municipality.slug}")


def home_section(request: HttpRequest) -> str:
    municipality = getattr(request, "municipality", None)
    if municipality is None:
        return ""
    result = selectors.search(_catalogue(request), SearchQuery(rows=0))
    return render_to_string("opendata/home_section.html", {"municipality": municipality, "count": result.count})


FILTERS = ("organization", "tags", "res_format", "license_id", "groups")


@require_GET
@municipality_view
@module_required
def catalogue(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    chosen = [(key, value[:100]) for key in FILTERS for value in request.GET.getlist(key)[:5] if value]
    fq = " ".join(f'{key}:"{value.replace(chr(34), "")}"' for key, value in chosen)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    cat = _catalogue(request)
    query = SearchQuery(
        q=q, fq=fq, rows=PAGE_SIZE, start=(page_number - 1) * PAGE_SIZE, facet_fields=list(FILTERS), facet_limit=20
    )
    try:
        result = selectors.search(cat, query)
    except QueryError:
        result = selectors.search(cat, SearchQuery(rows=PAGE_SIZE, facet_fields=list(FILTERS)))
    labels: dict[str, dict[str, Any]] = {
        "organization": selectors.organization_titles(cat),
        "groups": dict(Group.choices),
        "license_id": dict(License.choices),
        "res_format": dict(ResourceFormat.choices),
    }
    base = [("q", q)] if q else []
    facets = []
    titles = {
        "organization": _("担当課"),
        "groups": _("分類"),
        "tags": _("タグ"),
        "res_format": _("形式"),
        "license_id": _("ライセンス"),
    }
    for key in FILTERS:
        items = []
        for value, count in result.facets.get(key, []):
            active = (key, value) in chosen
            params = [*base, *[pair for pair in chosen if pair != (key, value)]] + ([] if active else [(key, value)])
            items.append(
                {
                    "label": labels.get(key, {}).get(value, value),
                    "count": count,
                    "active": active,
                    "url": "?" + urlencode(params),
                }
            )
        if items:
            facets.append({"title": titles[key], "items": items})
    paginator = Paginator(range(result.count), PAGE_SIZE)
    page_obj = paginator.get_page(page_number)
    resources = selectors.resources_of(result.datasets)
    return render(
        request,
        "opendata/catalogue.html",
        {
            "form": form,
            "datasets": [(d, resources[d.pk]) for d in result.datasets],
            "count": result.count,
            "facets": facets,
            "page_obj": page_obj,
            "querystring_without_page": urlencode([*base, *chosen]),
            "chosen": bool(chosen or q),
        },
    )


@require_GET
@municipality_view
@module_required
def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    cat = _catalogue(request)
    dataset = selectors.dataset_get_published(cat, name)
    resources = selectors.resources_of([dataset])[dataset.pk]
    tabular = next((r for r in resources if r.is_tabular and r.row_count), None)
    columns = list(tabular.columns) if tabular else []
    preview = [[row.get(name, "") for name in columns] for row in selectors.preview_rows(tabular)] if tabular else []
    points = selectors.coordinates(tabular) if tabular else []
    ckan = package_dict(cat, dataset, resources)
    return render(
        request,
        "opendata/dataset.html",
        {
            "dataset": dataset,
            "resources": list(zip(resources, ckan["resources"], strict=True)),
            "tabular": tabular,
            "preview": preview,
            "preview_columns": tabular.columns if tabular else [],
            "points": points,
            "standard": get_standard(dataset.standard_number),
            "license_label": License(dataset.license_id).label,
            "group_labels": [Group(g).label for g in dataset.groups if g in Group.values],
            "frequency_label": dataset.get_frequency_display(),
            "schema_org": dcat.schema_org(cat, dataset, resources),
            "api_url": f"{cat.base_url}/api/3/action/package_show?id={dataset.name}",
            "datastore_url": f"{cat.base_url}/api/3/action/datastore_search?resource_id={tabular.public_id}&limit=5"
            if tabular
            else "",
            "jsonld_url": f"{cat.base_url}/dataset/{dataset.name}.jsonld",
            "ttl_url": f"{cat.base_url}/dataset/{dataset.name}.ttl",
        },
    )


@require_GET
@municipality_view
@module_required
def download(request: HttpRequest, name: str, resource_id: str, filename: str) -> HttpResponseBase:
    cat = _catalogue(request)
    dataset = selectors.dataset_get_published(cat, name)
    resource = selectors.resource_for_staff(dataset, resource_id)
    if resource.format == ResourceFormat.URL:
        raise Http404
    wanted = request.GET.get("format", "csv" if resource.is_tabular else "").lower()
    services.download_record(resource=resource)
    if not resource.is_tabular:
        raw_response = HttpResponse(
            bytes(resource.content), content_type=_MIME.get(resource.format, "application/octet-stream")
        )
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", resource.filename or "") or "resource"
        raw_response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
        return raw_response
    columns = list(resource.columns)
    response: HttpResponseBase
    if wanted == "xlsx":
        response = HttpResponse(export.xlsx_bytes(columns, export.iter_rows(resource)), content_type=_MIME["XLSX"])
        extension = "xlsx"
    elif wanted == "json":
        response = StreamingHttpResponse(
            export.stream_json(columns, export.iter_rows(resource)), content_type="application/json; charset=utf-8"
        )
        extension = "json"
    elif wanted == "csv":
        response = StreamingHttpResponse(
            export.stream_csv(columns, export.iter_rows(resource)), content_type="text/csv; charset=utf-8"
        )
        extension = "csv"
    else:
        return HttpResponseBadRequest(
            _("形式は csv・xlsx・json のどれかを指定してください。"), content_type="text/plain; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{export.file_name(resource, extension)}"'
    return response


_MIME = {
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "JSON": "application/json",
    "GeoJSON": "application/geo+json",
    "PDF": "application/pdf",
}
_RDF_TYPES = {"ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json; charset=utf-8"}


def _rdf_response(body: str, fmt: str) -> HttpResponse:
    response = HttpResponse(body, content_type=_RDF_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def catalog_rdf(request: HttpRequest, fmt: str, municipality_slug: str | None = None) -> HttpResponse:
    cat = _catalogue_for(request, municipality_slug)
    if cat is None:
        raise Http404
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        return HttpResponseBadRequest("page must be a positive integer", content_type="text/plain; charset=utf-8")
    with cat.reading():
        if municipality_slug is not None and not cat.municipalities():
            raise Http404
        graph = dcat.catalogue_graph(cat, page, f"{cat.base_url}/catalog.{fmt}")
        if graph is None:
            raise Http404
        return _rdf_response(dcat.serialize(graph, fmt), fmt)


@require_GET
def dataset_rdf(request: HttpRequest, name: str, fmt: str, municipality_slug: str | None = None) -> HttpResponse:
    cat = _catalogue_for(request, municipality_slug)
    if cat is None:
        raise Http404
    with cat.reading():
        dataset = selectors.dataset_get_published(cat, name)
        return _rdf_response(dcat.serialize(dcat.dataset_graph(cat, dataset), fmt), fmt)
