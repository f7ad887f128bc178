"""Back office of 抽選予約 (/<slug>/staff/lottery/), permission `facilities.manage`: create and edit rounds,
open (seed committed), close, see entries and multi-account flags, exclude entries with a reason, draw and
publish. Seeing the entry list is a view of personal data and is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.accounts.permissions import Perm
from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.tenancy import get_object_in_municipality
from madoguchi.facilities.models import Facility
from madoguchi.staff.decorators import staff_view

from . import selectors, services
from .forms import ExcludeForm, RoundForm
from .manifest import module_required
from .models import LotteryRound, RoundStatus


def _m(request: HttpRequest) -> Any:
    return request.municipality  # type: ignore[attr-defined]


@require_GET
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def home(request: HttpRequest) -> HttpResponse:
    municipality = _m(request)
    return render(
        request,
        "lottery/staff_home.html",
        {
            "rounds": selectors.rounds_for_staff(municipality),
            "facilities": Facility.objects.filter(municipality=municipality).order_by("name_kana", "pk"),
        },
    )


def _save(request: HttpRequest, lottery: LotteryRound, facility: Facility) -> HttpResponse:
    form = RoundForm(request.POST or None, instance=lottery, facility=facility)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.round_save(
                lottery=form.instance,
                rooms=list(form.cleaned_data["rooms"]),
                municipality=_m(request),
                actor=request.user,
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("抽選を保存しました。"))
            return redirect("lottery_staff:detail", municipality_slug=_m(request).slug, round_id=saved.public_id)
    return render(request, "lottery/staff_edit.html", {"form": form, "facility": facility, "lottery": lottery})


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def round_new(request: HttpRequest, facility_id: str) -> HttpResponse:
    facility = get_object_in_municipality(Facility.objects.all(), _m(request), public_id=facility_id)
    return _save(request, LotteryRound(municipality=_m(request), facility=facility), facility)


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def round_edit(request: HttpRequest, round_id: str) -> HttpResponse:
    lottery = selectors.round_get_staff(_m(request), round_id)
    if lottery.status != RoundStatus.DRAFT:
        raise Http404
    return _save(request, lottery, lottery.facility)


@require_GET
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def round_detail(request: HttpRequest, round_id: str) -> HttpResponse:
    lottery = selectors.round_get_staff(_m(request), round_id)
    entries = selectors.entries_for_staff(lottery)
    flags = selectors.gaming_flags(lottery)
    audit_record(
        action="lottery.entries_viewed",
        actor=request.user,
        municipality=lottery.municipality,
        object_type="lottery_round",
        object_id=str(lottery.public_id),
        request=request,
        details={"entries": len(entries)},
    )
    flagged = {entry.pk for flag in flags for entry in flag.entries}
    return render(
        request,
        "lottery/staff_round.html",
        {
            "lottery": lottery,
            "entries": entries,
            "flags": flags,
            "flagged": flagged,
            "offer_count": len(selectors.offers_of(lottery)),
            "exclude_form": ExcludeForm(),
        },
    )


ACTIONS: dict[str, Callable[..., LotteryRound]] = {
    "open": services.round_open,
    "close": services.round_close,
    "draw": services.round_draw,
    "publish": services.round_publish,
}


@require_POST
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def round_action(request: HttpRequest, round_id: str) -> HttpResponse:
    lottery = selectors.round_get_staff(_m(request), round_id)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("その操作はできません。"))
    else:
        try:
            action(lottery=lottery, actor=request.user, request=request)
        except ServiceError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("操作を記録しました。"))
    return redirect("lottery_staff:detail", municipality_slug=_m(request).slug, round_id=lottery.public_id)


@require_http_methods(["GET", "POST"])
@staff_view(Perm.FACILITIES_MANAGE)
@module_required
def exclude(request: HttpRequest, round_id: str, entry_id: str) -> HttpResponse:
    lottery = selectors.round_get_staff(_m(request), round_id)
    entry = selectors.entry_get_staff(lottery, entry_id)
    form = ExcludeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_exclude(entry=entry, reason=form.cleaned_data["reason"], actor=request.user, request=request)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("申込を除外しました。"))
            return redirect("lottery_staff:detail", municipality_slug=_m(request).slug, round_id=lottery.public_id)
    return render(request, "lottery/staff_exclude.html", {"form": form, "lottery": lottery, "entry": entry})
