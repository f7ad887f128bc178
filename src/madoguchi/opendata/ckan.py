"""CKAN Action API v3 (read side) at /api/action/<name>, /api/3/action/<name> and their /<slug>/ forms.

Answers in CKAN's own envelope with CKAN's error types and statuses (research §1.1), GET and POST (JSON
body), never redirecting — so `ckanapi.RemoteCKAN` and the aggregators that read municipal CKAN sites work
unchanged. The platform error shape never appears here (core.middleware leaves these paths alone)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_for_host

from . import selectors
from .catalogue import Catalogue
from .models import LICENSE_URLS, Dataset, Group, License, Resource
from .selectors import FACET_FIELDS, QueryError, RowQuery, SearchQuery

ROWS_MAX = 1000
DATASTORE_ROWS_MAX = 32000
MAX_BODY = 100_000
PACKAGE_SEARCH_PARAMS = frozenset(
    {
        "q",
        "fq",
        "fq_list",
        "sort",
        "rows",
        "start",
        "facet",
        "facet.mincount",
        "facet.limit",
        "facet.field",
        "include_drafts",
        "include_deleted",
        "include_private",
        "use_default_schema",
        "qf",
        "wt",
        "bf",
        "boost",
        "tie",
        "defType",
        "mm",
        "df",
        "callback",
        "_",
    }
)
WRITE_ACTIONS = frozenset(
    {
        "package_create",
        "package_update",
        "package_patch",
        "package_delete",
        "resource_create",
        "resource_update",
        "resource_patch",
        "resource_delete",
        "organization_create",
        "group_create",
        "datastore_create",
        "datastore_upsert",
        "datastore_delete",
        "user_create",
    }
)


class CkanError(Exception):
    def __init__(self, type_: str, status: int, message: str | None = None, fields: dict[str, list[str]] | None = None):
        super().__init__(message or type_)
        self.type = type_
        self.status = status
        self.message = message
        self.fields = fields or {}


def not_found(what: str) -> CkanError:
    return CkanError("Not Found Error", 404, f"Not found: {what}")


def validation(fields: dict[str, list[str]]) -> CkanError:
    return CkanError("Validation Error", 409, None, fields)


def search_query(message: str) -> CkanError:
    return CkanError("Search Query Error", 400, f"Search Query is invalid: {message}")


# --- dictization ---------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC without a zone suffix."""
    if value is None:
        return None
    return timezone.localtime(value, datetime.UTC).replace(tzinfo=None).isoformat()


def organization_dict(catalogue: Catalogue, dataset: Dataset) -> dict[str, Any] | None:
    if catalogue.is_platform:
        m = dataset.municipality
        return {
            "id": f"municipality-{m.code}",
            "name": m.slug,
            "title": m.name,
            "type": "organization",
            "description": m.name_en,
            "image_url": "",
            "created": _iso(m.created_at),
            "is_organization": True,
            "approval_status": "approved",
            "state": "active",
        }
    d = dataset.department
    if d is None:
        return None
    return {
        "id": str(d.public_id),
        "name": d.slug,
        "title": d.name,
        "type": "organization",
        "description": d.name_en,
        "image_url": "",
        "created": _iso(d.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def resource_url(catalogue: Catalogue, resource: Resource, dataset: Dataset) -> str:
    if resource.format == "URL":
        return resource.url
    from .export import file_name

    extension = resource.format.lower()
    name = (
        file_name(resource, "csv" if resource.is_tabular else extension) if resource.is_tabular else resource.filename
    )
    path = reverse(
        "opendata:download",
        kwargs={
            "municipality_slug": dataset.municipality.slug,
            "name": dataset.name,
            "resource_id": str(resource.public_id),
            "filename": name or f"resource.{extension}",
        },
    )
    return _origin(catalogue) + path


def _origin(catalogue: Catalogue) -> str:
    base = catalogue.base_url
    if catalogue.municipality is not None:
        base = base[: -(len(catalogue.municipality.slug) + 1)]
    return base


def resource_dict(catalogue: Catalogue, resource: Resource, dataset: Dataset) -> dict[str, Any]:
    mimetypes = {
        "CSV": "text/csv",
        "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "JSON": "application/json",
        "GeoJSON": "application/geo+json",
        "PDF": "application/pdf",
    }
    return {
        "id": str(resource.public_id),
        "package_id": str(dataset.public_id),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "url": resource_url(catalogue, resource, dataset),
        "url_type": None if resource.format == "URL" else "upload",
        "mimetype": mimetypes.get(resource.format),
        "mimetype_inner": None,
        "size": resource.size or None,
        "hash": resource.hash,
        "position": resource.position,
        "resource_type": None,
        "state": "active",
        "created": _iso(resource.created_at),
        "last_modified": _iso(resource.last_modified),
        "metadata_modified": _iso(resource.last_modified or resource.created_at),
        "cache_url": None,
        "cache_last_updated": None,
        "datastore_active": resource.is_tabular,
        "conforms_to_standard": resource.conforms,
    }


class _Labels:
    """What every package of one response shares, worked out once per response: translated licence and
    group titles, organization dicts, landing page addresses."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.licenses = {str(value): str(label) for value, label in License.choices}
        self.license_urls = {str(value): url for value, url in LICENSE_URLS.items()}
        self.groups = {str(value): str(label) for value, label in Group.choices}
        self._organizations: dict[Any, dict[str, Any] | None] = {}
        self._catalogue_paths: dict[str, str] = {}

    def organization(self, dataset: Dataset) -> dict[str, Any] | None:
        key = dataset.municipality_id if self.catalogue.is_platform else dataset.department_id
        if key not in self._organizations:
            self._organizations[key] = organization_dict(self.catalogue, dataset)
        return self._organizations[key]

    def landing(self, dataset: Dataset) -> str:
        slug = dataset.municipality.slug
        if slug not in self._catalogue_paths:
            self._catalogue_paths[slug] = reverse("opendata:catalogue", kwargs={"municipality_slug": slug})
        # opendata/urls.py: a dataset's page is "<name>/" under its catalogue.
        return _origin(self.catalogue) + self._catalogue_paths[slug] + dataset.name + "/"


def package_dict(
    catalogue: Catalogue, dataset: Dataset, resources: list[Resource], labels: _Labels | None = None
) -> dict[str, Any]:
    labels = labels or _Labels(catalogue)
    organization = labels.organization(dataset)
    extras = [
        {"key": "standard_dataset", "value": dataset.standard_number},
        {"key": "update_frequency", "value": dataset.frequency},
        {"key": "live", "value": "true" if dataset.provider_key else "false"},
        {"key": "conforms_to_standard", "value": "false" if dataset.nonconforming_published else "true"},
        {"key": "municipality_code", "value": dataset.municipality.code},
    ]
    department = dataset.department
    return {
        "id": str(dataset.public_id),
        "name": catalogue.package_name(dataset.name, dataset.municipality),
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": True,
        "license_id": dataset.license_id,
        "license_title": labels.licenses[dataset.license_id],
        "license_url": labels.license_urls.get(dataset.license_id, ""),
        "url": labels.landing(dataset),
        "version": "",
        "author": department.name if department else dataset.municipality.name,
        "author_email": department.email if department else dataset.municipality.contact_email,
        "maintainer": department.name if department else dataset.municipality.name,
        "maintainer_email": department.email if department else dataset.municipality.contact_email,
        "creator_user_id": None,
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.modified_at),
        "organization": organization,
        "owner_org": organization["id"] if organization else None,
        "num_resources": len(resources),
        "num_tags": len(dataset.tags),
        "tags": [
            {"id": tag, "name": tag, "display_name": tag, "state": "active", "vocabulary_id": None}
            for tag in dataset.tags
        ],
        "groups": [
            {
                "id": group,
                "name": group,
                "title": labels.groups[group],
                "display_name": labels.groups[group],
                "description": "",
                "image_display_url": "",
            }
            for group in dataset.groups
            if group in labels.groups
        ],
        "resources": [resource_dict(catalogue, resource, dataset) for resource in resources],
        "extras": extras,
        "relationships_as_subject": [],
        "relationships_as_object": [],
    }


def packages(catalogue: Catalogue, datasets: list[Dataset]) -> list[dict[str, Any]]:
    grouped = selectors.resources_of(datasets)
    labels = _Labels(catalogue)
    return [package_dict(catalogue, dataset, grouped[dataset.pk], labels) for dataset in datasets]


# --- parameters ----------------------------------------------------------------------------------------


def _int(data: dict[str, Any], key: str, default: int, *, minimum: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, list):
        value = value[-1] if value else default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise validation({key: ["Invalid integer"]}) from None
    if number < minimum:
        raise validation({key: ["Must be a natural number" if minimum == 0 else f"Must be at least {minimum}"]})
    return number


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise validation({key: ["Value must be one of: True, False"]})


def _str(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    if not isinstance(value, str | int | float):
        raise validation({key: ["Must be a string"]})
    return str(value)


def _json_param(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise validation({key: ["Could not parse as valid JSON"]}) from None
    return value


def _id(data: dict[str, Any], key: str = "id") -> str:
    value = data.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    if not value or not isinstance(value, str):
        raise validation({key: ["Missing value"]})
    return value


# --- actions -------------------------------------------------------------------------------------------


def package_list(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    limit = _int(data, "limit", 0) if "limit" in data else None
    offset = _int(data, "offset", 0)
    names = sorted(catalogue.package_name(name, m) for name, m in _names(catalogue))
    return names[offset : offset + limit] if limit is not None else names[offset:]


def _names(catalogue: Catalogue) -> list[tuple[str, Municipality]]:
    rows = selectors.published_datasets(catalogue).values_list("name", "municipality_id")
    by_id = {m.pk: m for m in catalogue.municipalities()}
    return [(name, by_id[m]) for name, m in rows]


def package_show(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    name = _id(data)
    try:
        dataset = selectors.dataset_get_published(catalogue, name)
    except Http404:
        raise not_found("Dataset not found") from None
    return packages(catalogue, [dataset])[0]


def package_search(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    unknown = sorted(key for key in data if key not in PACKAGE_SEARCH_PARAMS)
    if unknown:
        raise search_query(f"Invalid search parameters: {unknown}")
    facet_fields = data.get("facet.field", [])
    if isinstance(facet_fields, str):
        # A JSON list, as CKAN wants, or a bare field name (research §5 item 1).
        text = facet_fields.strip()
        if text.startswith("["):
            try:
                facet_fields = json.loads(text)
            except ValueError:
                raise validation({"facet.field": ["Could not parse as valid JSON"]}) from None
        else:
            facet_fields = [text] if text else []
    if not isinstance(facet_fields, list) or not all(isinstance(item, str) for item in facet_fields):
        raise validation({"facet.field": ["Not a list"]})
    bad = [name for name in facet_fields if name not in FACET_FIELDS]
    if bad:
        raise search_query(f"Unknown facet field {bad[0]!r}; use one of {list(FACET_FIELDS)}")
    fq = _str(data, "fq")
    fq_list = data.get("fq_list") or []
    if isinstance(fq_list, str):
        fq_list = [fq_list]
    if isinstance(fq_list, list):
        fq = " ".join([fq, *[str(item) for item in fq_list]])
    query = SearchQuery(
        q=_str(data, "q"),
        fq=fq,
        sort=_str(data, "sort", selectors.DEFAULT_SORT) or selectors.DEFAULT_SORT,
        rows=min(_int(data, "rows", 10), ROWS_MAX),
        start=_int(data, "start", 0),
        facet_fields=facet_fields if _bool(data, "facet", True) else [],
        facet_limit=_int(data, "facet.limit", 50, minimum=-1),
        facet_mincount=_int(data, "facet.mincount", 1),
    )
    try:
        result = selectors.search(catalogue, query)
    except QueryError as exc:
        raise search_query(str(exc)) from None
    titles = _facet_titles(catalogue) if result.facets else {}
    search_facets = {}
    facets = {}
    for name, items in result.facets.items():
        facets[name] = dict(items)
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": key, "display_name": titles.get(name, {}).get(key, key), "count": count}
                for key, count in items
            ],
        }
    return {
        "count": result.count,
        "results": packages(catalogue, result.datasets),
        "facets": facets,
        "search_facets": search_facets,
        "sort": result.sort,
    }


def _facet_titles(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    return {
        "organization": selectors.organization_titles(catalogue),
        "groups": {str(value): str(label) for value, label in Group.choices},
        "license_id": {str(value): str(label) for value, label in License.choices},
    }


def _organization_item(org: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    obj = org["object"]
    return {
        "id": f"municipality-{obj.code}" if catalogue.is_platform else str(obj.public_id),
        "name": org["name"],
        "title": org["title"],
        "display_name": org["title"],
        "type": "organization",
        "description": getattr(obj, "name_en", ""),
        "image_url": "",
        "image_display_url": "",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "package_count": org["count"],
        "created": _iso(obj.created_at),
    }


def _sorted_orgs(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    words = (sort or "title asc").split()
    key, direction = words[0], (words[1] if len(words) > 1 else "asc")
    keys = {"name": "name", "title": "title", "package_count": "count"}
    if key not in keys or direction not in ("asc", "desc") or len(words) > 2:
        raise validation({"sort": [f"Cannot sort by field `{sort}`"]})
    return sorted(items, key=lambda item: item[keys[key]], reverse=direction == "desc")


def organization_list(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    all_fields = _bool(data, "all_fields", False)
    items = _sorted_orgs(selectors.organizations(catalogue), _str(data, "sort", "title asc"))
    wanted = data.get("organizations")
    if wanted:
        wanted = wanted if isinstance(wanted, list) else [wanted]
        items = [item for item in items if item["name"] in wanted]
    limit = _int(data, "limit", 25 if all_fields else 1000)
    offset = _int(data, "offset", 0)
    items = items[offset : offset + limit]
    return [_organization_item(item, catalogue) for item in items] if all_fields else [item["name"] for item in items]


def organization_show(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    wanted = _id(data)
    org = next(
        (
            o
            for o in selectors.organizations(catalogue)
            if wanted in (o["name"], _organization_item(o, catalogue)["id"])
        ),
        None,
    )
    if org is None:
        raise not_found("Organization was not found.")
    result = _organization_item(org, catalogue)
    if _bool(data, "include_datasets", False):
        fq = f"organization:{org['name']}"
        found = selectors.search(catalogue, SearchQuery(fq=fq, rows=10, sort="name asc"))
        result["packages"] = packages(catalogue, found.datasets)
    return result


def group_list(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    counts = selectors.group_counts(catalogue)
    items = [
        {"object": None, "name": str(v), "title": str(label), "count": counts.get(str(v), 0)}
        for v, label in Group.choices
    ]
    items = _sorted_orgs(items, _str(data, "sort", "title asc"))
    if not _bool(data, "all_fields", False):
        return [item["name"] for item in items]
    return [
        {
            "id": item["name"],
            "name": item["name"],
            "title": item["title"],
            "display_name": item["title"],
            "type": "group",
            "is_organization": False,
            "state": "active",
            "package_count": item["count"],
            "description": "",
            "image_display_url": "",
        }
        for item in items
    ]


def group_show(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    wanted = _id(data)
    if wanted not in Group.values:
        raise not_found("Group was not found.")
    return next(item for item in group_list(catalogue, {"all_fields": True}) if item["name"] == wanted)


def tag_list(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    names = selectors.tags(catalogue, _str(data, "query"))
    if _bool(data, "all_fields", False):
        return [{"id": name, "name": name, "display_name": name, "vocabulary_id": None} for name in names]
    return names


def resource_show(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    try:
        resource = selectors.resource_get_published(catalogue, _id(data))
    except Http404:
        raise not_found("Resource was not found.") from None
    return resource_dict(catalogue, resource, resource.dataset)


def license_list(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    return [
        {
            "id": str(value),
            "title": str(label),
            "url": LICENSE_URLS[License(value)],
            "status": "active",
            "od_conformance": "approved",
            "osd_conformance": "not reviewed",
            "domain_content": True,
            "domain_data": True,
            "domain_software": False,
            "is_generic": False,
            "family": "",
        }
        for value, label in License.choices
    ]


def status_show(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    return {
        "site_title": catalogue.municipality.name if catalogue.municipality else "Madoguchi",
        "site_description": "",
        "site_url": catalogue.base_url,
        "ckan_version": "2.11.5",
        "error_emails_to": None,
        "locale_default": "ja",
        "extensions": ["datastore", "dcat"],
    }


def help_show(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    name = _str(data, "name")
    action = ACTIONS.get(name)
    if action is None:
        raise not_found(f"Action function not found: {name}")
    return (action.__doc__ or f"CKAN-compatible {name}.").strip()


def datastore_search(catalogue: Catalogue, data: dict[str, Any]) -> Any:
    resource_id = _id(data, "resource_id")
    try:
        resource = selectors.resource_get_published(catalogue, resource_id)
    except Http404:
        raise not_found(f'Resource "{resource_id}" was not found.') from None
    if not resource.is_tabular:
        raise not_found(f'Resource "{resource_id}" was not found.')
    filters = _json_param(data, "filters") or {}
    if not isinstance(filters, dict):
        raise validation({"filters": ["Not a JSON object"]})
    fields = data.get("fields") or []
    if isinstance(fields, str):
        fields = [item.strip() for item in fields.split(",") if item.strip()]
    records_format = _str(data, "records_format", "objects")
    if records_format not in ("objects", "lists"):
        raise validation({"records_format": ["Value must be one of ['objects', 'lists']"]})
    q = data.get("q", "")
    if isinstance(q, dict):
        q = " ".join(str(v) for v in q.values())
    query = RowQuery(
        filters=filters,
        q=str(q),
        limit=min(_int(data, "limit", 100), DATASTORE_ROWS_MAX),
        offset=_int(data, "offset", 0),
        fields=list(fields),
        sort=_str(data, "sort"),
        include_total=_bool(data, "include_total", True),
    )
    try:
        records, total, returned = selectors.rows_search(resource, query)
    except QueryError as exc:
        key = (
            "sort"
            if "sort" in str(exc)
            else ("fields" if query.fields and "not in table" in str(exc) and not filters else "filters")
        )
        raise validation({key: [str(exc)]}) from None
    base = f"/api/3/action/datastore_search?resource_id={resource_id}"
    result: dict[str, Any] = {
        "include_total": query.include_total,
        "resource_id": str(resource.public_id),
        "fields": [{"id": name, "type": "int" if name == "_id" else "text"} for name in returned],
        "records_format": records_format,
        "records": [[record[name] for name in returned] for record in records]
        if records_format == "lists"
        else records,
        "limit": query.limit,
        "offset": query.offset,
        "filters": filters,
        "_links": {"start": base, "next": f"{base}&offset={query.offset + query.limit}"},
    }
    if query.include_total:
        result["total"] = total
        result["total_was_estimated"] = False
    if query.q:
        result["q"] = query.q
    if query.sort:
        result["sort"] = query.sort
    return result


ACTIONS: dict[str, Callable[[Catalogue, dict[str, Any]], Any]] = {
    "package_list": package_list,
    "package_show": package_show,
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "resource_show": resource_show,
    "license_list": license_list,
    "status_show": status_show,
    "help_show": help_show,
    "datastore_search": datastore_search,
}


# --- the view ------------------------------------------------------------------------------------------


def _request_data(request: HttpRequest) -> dict[str, Any]:
    if request.method == "POST":
        body = request.body if int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_BODY else None
        if body is None:
            raise CkanError("Bad request", 400, "Bad request - JSON Error: body too large")
        if not body.strip():
            return {}
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded" and request.POST:
            # Legacy CKAN: a single form key holding the JSON body.
            keys = list(request.POST.keys())
            body = keys[0].encode() if len(keys) == 1 and not request.POST[keys[0]] else body
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise CkanError("Bad request", 400, "Bad request - JSON Error: Could not parse the body as JSON") from None
        if not isinstance(data, dict):
            raise CkanError("Bad request", 400, "Bad request - JSON Error: Request data JSON decoded to a non-dict")
        return data
    params: dict[str, Any] = {}
    for key in request.GET:
        values = request.GET.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    return params


def _envelope(catalogue: Catalogue, name: str, **fields: Any) -> dict[str, Any]:
    return {"help": f"{catalogue.base_url}/api/3/action/help_show?name={name}", **fields}


def _respond(body: Any, status: int = 200) -> HttpResponse:
    response = JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _catalogue_for(request: HttpRequest, municipality_slug: str | None) -> Catalogue | None:
    origin = f"{request.scheme}://{request.get_host()}"
    if municipality_slug is None:
        host_municipality = municipality_for_host(request.get_host())
        if host_municipality is not None:  # a city's own host serves its own catalogue
            return Catalogue(host_municipality, f"{origin}/{host_municipality.slug}")
        return Catalogue(None, origin)
    municipality = getattr(request, "municipality", None)
    if municipality is None or municipality.slug != municipality_slug:
        return None
    return Catalogue(municipality, f"{origin}/{municipality.slug}")


@csrf_exempt  # read-only actions; no cookie-authenticated writes exist here
def action(request: HttpRequest, name: str, municipality_slug: str | None = None) -> HttpResponse:
    catalogue = _catalogue_for(request, municipality_slug)
    if catalogue is None:
        return _respond(
            _envelope(
                Catalogue(None, ""),
                name,
                success=False,
                error={"__type": "Not Found Error", "message": "Not found: catalogue"},
            ),
            404,
        )
    if request.method not in ("GET", "POST"):
        response = _respond(
            _envelope(catalogue, name, success=False, error={"__type": "Bad request", "message": "Method not allowed"}),
            405,
        )
        response["Allow"] = "GET, POST"
        return response
    if name in WRITE_ACTIONS:
        return _respond(
            _envelope(
                catalogue,
                name,
                success=False,
                error={
                    "__type": "Authorization Error",
                    "message": f"Access denied: Action {name} requires an authenticated user",
                },
            ),
            403,
        )
    handler = ACTIONS.get(name)
    if handler is None:
        return _respond(f"Bad request: Action name not known: {name}", 400)
    if not catalogue.is_platform:
        with catalogue.reading():
            switched_off = not catalogue.municipalities()
        if switched_off:
            return _respond(
                _envelope(
                    catalogue,
                    name,
                    success=False,
                    error={"__type": "Not Found Error", "message": "Not found: catalogue"},
                ),
                404,
            )
    try:
        data = _request_data(request)
        data.pop("callback", None)  # JSONP is not offered; the parameter is ignored
        with catalogue.reading():
            result = handler(catalogue, data)
    except CkanError as error:
        if error.type == "Bad request":
            return _respond(error.message, error.status)
        body: dict[str, Any] = {"__type": error.type, **error.fields}
        if error.message is not None:
            body["message"] = error.message
        return _respond(_envelope(catalogue, name, success=False, error=body), error.status)
    except Exception:
        if settings.DEBUG and getattr(settings, "OPENDATA_RAISE_ERRORS", False):
            raise
        import logging

        logging.getLogger(__name__).exception("CKAN action %s failed", name)
        return _respond(
            _envelope(
                catalogue,
                name,
                success=False,
                error={"__type": "Internal Server Error", "message": "Internal Server Error"},
            ),
            500,
        )
    return _respond(_envelope(catalogue, name, success=True, result=result))
