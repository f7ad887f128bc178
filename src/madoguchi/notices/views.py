from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from madoguchi.accounts.permissions import Perm, department_scope
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.selectors import module_settings
from madoguchi.core.tenancy import municipality_view
from madoguchi.staff.decorators import staff_view

from . import selectors, services
from .forms import NoticeForm
from .manifest import module_required

HOME_NOTICE_COUNT = 5


def home_section(request: HttpRequest) -> str:
    """The notices area of the municipality home page: the latest published notices."""
    municipality = request.municipality  # type: ignore[attr-defined]
    count = module_settings(municipality, "notices").get("home_count", HOME_NOTICE_COUNT)
    notices = list(selectors.notice_list_published(municipality)[:count])
    # Rendered without the request: the page's context processors already ran once for the whole page.
    return render_to_string("notices/home_section.html", {"notices": notices, "municipality": municipality})


@require_GET
@municipality_view
@module_required
def notice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notice_list_published(request.municipality), 20).get_page(request.GET.get("page"))  # type: ignore[attr-defined]
    return render(request, "notices/list.html", {"page_obj": page, "querystring_without_page": ""})


@require_GET
@municipality_view
@module_required
def notice_detail(request: HttpRequest, notice_id: str) -> HttpResponse:
    notice = selectors.notice_get_published(request.municipality, notice_id)  # type: ignore[attr-defined]
    return render(request, "notices/detail.html", {"notice": notice})


@require_GET
@staff_view(Perm.NOTICES_MANAGE)
@module_required
def staff_notice_list(request: HttpRequest) -> HttpResponse:
    notices = selectors.notice_list_for_staff(request.municipality, request.user)  # type: ignore[attr-defined]
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "notices/staff_list.html", {"page_obj": page, "querystring_without_page": ""})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.NOTICES_MANAGE)
@module_required
def staff_notice_edit(request: HttpRequest, notice_id: str | None = None) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    notice = selectors.notice_get_for_staff(municipality, request.user, notice_id) if notice_id else None
    initial = {"publish": notice.published_at is not None} if notice else {"publish": True}
    form = NoticeForm(
        request.POST or None,
        instance=notice if request.method == "GET" else None,
        initial={**initial, "department": notice.department if notice else None},
        municipality=municipality,
        departments=department_scope(request.user, municipality),
    )
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data.get(key) for key in services.EDITABLE_FIELDS}
        try:
            if notice is None:
                services.notice_create(
                    municipality=municipality,
                    actor=request.user,
                    data=data,
                    publish=form.cleaned_data["publish"],
                    request=request,
                )
            else:
                services.notice_update(
                    notice=notice, actor=request.user, data=data, publish=form.cleaned_data["publish"], request=request
                )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("お知らせを保存しました。"))
            return redirect("notices_staff:list", municipality_slug=municipality.slug)
    return render(request, "notices/staff_edit.html", {"form": form, "notice": notice})
