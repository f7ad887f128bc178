"""The staff back office at /<slug>/staff/: dashboard, staff and roles, departments, module switches,
municipality settings, audit log and resident look-up. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from madoguchi.accounts import selectors as account_selectors
from madoguchi.accounts import services as account_services
from madoguchi.accounts.models import Profile, Role
from madoguchi.accounts.permissions import Perm
from madoguchi.audit import selectors as audit_selectors
from madoguchi.audit.services import audit_personal_data_viewed, audit_record
from madoguchi.core import selectors as core_selectors
from madoguchi.core import services as core_services
from madoguchi.core.csvexport import stream_csv
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.pagination import paginate
from madoguchi.core.registry import registry

from .decorators import staff_view
from .forms import (
    AuditSearchForm,
    DepartmentForm,
    MunicipalitySettingsForm,
    ResidentSearchForm,
    StaffMemberAddForm,
    StaffMembershipEditForm,
)

PAGE_SIZE = 50


def _redirect(name: str, request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return redirect(name, municipality_slug=request.municipality.slug, **kwargs)  # type: ignore[attr-defined]


@require_GET
@staff_view(Perm.DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    enabled = registry.enabled_for(municipality)
    return render(
        request,
        "staff/dashboard.html",
        {
            "enabled_modules": enabled,
            "department_count": core_selectors.department_list(municipality).count(),
            "staff_count": account_selectors.staff_membership_list(municipality).filter(is_active=True).count(),
            "permissions": request.staff_permissions,  # type: ignore[attr-defined]
        },
    )


@require_GET
@staff_view(Perm.USERS_MANAGE)
def users(request: HttpRequest) -> HttpResponse:
    page, querystring = paginate(request, account_selectors.staff_membership_list(request.municipality), PAGE_SIZE)  # type: ignore[attr-defined]
    return render(request, "staff/users.html", {"page_obj": page, "querystring_without_page": querystring})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.USERS_MANAGE)
def user_add(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = StaffMemberAddForm(request.POST or None, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.staff_member_add(
                municipality=municipality,
                actor=request.user,  # type: ignore[arg-type]
                email=form.cleaned_data["email"],
                family_name=form.cleaned_data["family_name"],
                given_name=form.cleaned_data["given_name"],
                role=form.cleaned_data["role"],
                department=form.cleaned_data.get("department"),
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(
                request, _("職員の役割を登録しました。新しい職員にはパスワード設定の案内メールを送りました。")
            )
            return _redirect("staff:users", request)
    return render(request, "staff/user_add.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.USERS_MANAGE)
def user_edit(request: HttpRequest, membership_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    membership = account_selectors.staff_membership_get(municipality, membership_id)
    initial = {"is_active": membership.is_active, "department": membership.department}
    form = StaffMembershipEditForm(request.POST or None, initial=initial, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.staff_membership_update(
                membership=membership,
                actor=request.user,  # type: ignore[arg-type]
                is_active=form.cleaned_data["is_active"],
                department=form.cleaned_data.get("department"),
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("職員の役割を更新しました。"))
            return _redirect("staff:users", request)
    return render(request, "staff/user_edit.html", {"form": form, "membership": membership, "roles": Role})


@require_GET
@staff_view(Perm.DEPARTMENTS_MANAGE)
def departments(request: HttpRequest) -> HttpResponse:
    items = core_selectors.department_list(request.municipality, include_inactive=True)  # type: ignore[attr-defined]
    return render(request, "staff/departments.html", {"departments": items})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.DEPARTMENTS_MANAGE)
def department_edit(request: HttpRequest, department_id: str | None = None) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    department = core_selectors.department_get(municipality, department_id) if department_id else None
    form = DepartmentForm(request.POST or None, instance=department if request.method == "GET" else None)
    if request.method == "GET" and department is None:
        form.initial["is_active"] = True
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in DepartmentForm.Meta.fields}
        try:
            if department is None:
                core_services.department_create(
                    municipality=municipality, actor=request.user, data=data, request=request
                )
            else:
                core_services.department_update(department=department, actor=request.user, data=data, request=request)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("課を保存しました。"))
            return _redirect("staff:departments", request)
    return render(request, "staff/department_edit.html", {"form": form, "department": department})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.MODULES_MANAGE)
def modules(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    errors: dict[str, str] = {}
    if request.method == "POST":
        for manifest in registry.all():
            settings_values: dict[str, Any] = {}
            current_values = core_selectors.module_settings(municipality, manifest.key)
            for spec in manifest.settings:
                name = f"{manifest.key}__{spec.key}"
                if spec.kind is not bool and name not in request.POST:
                    # A number or text the form did not send at all keeps its stored value (a blank one is an error).
                    settings_values[spec.key] = current_values.get(spec.key, spec.default)
                    continue
                raw = request.POST.get(name, "")
                if spec.kind is bool:
                    settings_values[spec.key] = raw == "on"
                elif spec.kind is int:
                    try:
                        settings_values[spec.key] = int(raw)
                    except ValueError:
                        errors[f"{manifest.key}__{spec.key}"] = _("%(label)sは半角数字で入力してください。") % {
                            "label": spec.label
                        }
                else:
                    settings_values[spec.key] = raw.strip()[:500]
            if errors:
                continue
            try:
                core_services.module_activation_set(
                    municipality=municipality,
                    actor=request.user,
                    module_key=manifest.key,
                    enabled=request.POST.get(f"{manifest.key}__enabled") == "on",
                    settings=settings_values,
                    request=request,
                )
            except ServiceError as error:
                errors[error.field or manifest.key] = str(error.message)
        if not errors:
            messages.success(request, _("機能の利用設定を保存しました。"))
            return _redirect("staff:modules", request)
    rows = []
    for manifest in registry.all():
        current = core_selectors.module_settings(municipality, manifest.key)
        settings_rows = []
        for spec in manifest.settings:
            name = f"{manifest.key}__{spec.key}"
            value = request.POST.get(name, current.get(spec.key)) if request.method == "POST" else current.get(spec.key)
            settings_rows.append(
                {"spec": spec, "kind": spec.kind.__name__, "name": name, "value": value, "error": errors.get(name)}
            )
        enabled = (
            request.POST.get(f"{manifest.key}__enabled") == "on"
            if request.method == "POST"
            else core_selectors.module_is_enabled(municipality, manifest.key)
        )
        rows.append({"manifest": manifest, "enabled": enabled, "settings": settings_rows})
    error_items = [{"href": f"#id_{key}", "message": message} for key, message in errors.items()]
    return render(
        request, "staff/modules.html", {"rows": rows, "error_items": error_items}, status=400 if errors else 200
    )


@require_http_methods(["GET", "POST"])
@staff_view(Perm.SETTINGS_MANAGE)
def municipality_settings(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = MunicipalitySettingsForm(request.POST or None, instance=municipality if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        try:
            core_services.municipality_settings_update(
                municipality=municipality, actor=request.user, data=form.cleaned_data, request=request
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("自治体の設定を保存しました。"))
            return _redirect("staff:settings", request)
    return render(request, "staff/settings.html", {"form": form})


@require_GET
@staff_view(Perm.AUDIT_VIEW)
def audit(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = AuditSearchForm(request.GET or None)
    events = audit_selectors.audit_event_search(
        municipality=municipality, **(form.cleaned_data if form.is_valid() else {})
    )
    if form.is_bound and not form.is_valid():
        events = events.none()
    page, querystring = paginate(request, events, PAGE_SIZE)
    return render(
        request,
        "staff/audit.html",
        {
            "form": form,
            "page_obj": page,
            "querystring_without_page": querystring,
            "actions": audit_selectors.audit_action_names(municipality=municipality),
            "can_export": Perm.AUDIT_EXPORT in request.staff_permissions,  # type: ignore[attr-defined]
            "export_query": request.GET.urlencode(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
@staff_view(Perm.AUDIT_EXPORT)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """CSV (UTF-8 with BOM so Excel opens it correctly), streamed so any range exports in constant memory."""
    municipality = request.municipality  # type: ignore[attr-defined]
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return audit(request, municipality_slug=municipality.slug)
    filters = form.cleaned_data if form.is_bound else {}
    events = audit_selectors.audit_event_search(municipality=municipality, **filters)
    audit_record(
        action="audit.exported",
        actor=request.user,
        municipality=municipality,
        request=request,
        details={key: str(value) for key, value in filters.items() if value},
    )
    header = ["occurred_at", "actor", "action", "object_type", "object_id", "ip_address", "request_id", "details"]
    rows = (
        [
            timezone.localtime(event.occurred_at).isoformat(),
            event.actor_label,
            event.action,
            event.object_type,
            event.object_id,
            event.ip_address or "",
            event.request_id,
            _json(event.details),
        ]
        for event in events.iterator(chunk_size=2000)
    )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(stream_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{municipality.slug}-{stamp}.csv"'
    return response


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@require_GET
@staff_view(Perm.RESIDENTS_VIEW)
def residents(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = ResidentSearchForm(request.GET or None)
    results = None
    page, querystring = None, ""
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        results = account_selectors.resident_search(municipality, form.cleaned_data["q"])
        page, querystring = paginate(request, results, PAGE_SIZE)
        audit_record(
            action="personal_data.search",
            actor=request.user,
            municipality=municipality,
            request=request,
            details={"result_count": page.paginator.count},
        )
    return render(
        request,
        "staff/residents.html",
        {"form": form, "page_obj": page, "querystring_without_page": querystring},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
@staff_view(Perm.RESIDENTS_VIEW)
def resident_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    profile = account_selectors.resident_get(municipality, user_id)
    audit_personal_data_viewed(
        actor=request.user,
        municipality=municipality,
        object_type="resident",
        object_id=str(profile.user.public_id),
        fields=list(Profile.PERSONAL_DATA_FIELDS),
        request=request,
    )
    return render(request, "staff/resident_detail.html", {"profile": profile})
