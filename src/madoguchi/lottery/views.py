"""Resident pages: open rounds and their commitment (no login), results with the revealed seed and the
verifiable JSON, entering with ranked preferences (signed in, one-time token), my entries and withdrawing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.tenancy import municipality_view
from madoguchi.facilities.forms import new_form_token
from madoguchi.facilities.models import Registration, RegistrationStatus

from . import draw, selectors, services
from .forms import EntryForm
from .manifest import module_required
from .models import RoundStatus


def _m(request: HttpRequest) -> Any:
    return request.municipality  # type: ignore[attr-defined]


@require_GET
@municipality_view
@module_required
def round_list(request: HttpRequest) -> HttpResponse:
    return render(request, "lottery/list.html", {"rounds": selectors.rounds_public(_m(request))})


def seed_matches_commitment(seed_hex: str, commitment: str) -> bool:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        return False
    return bool(seed) and draw.commitment(seed) == commitment


@require_GET
@municipality_view
@module_required
def round_detail(request: HttpRequest, round_id: str) -> HttpResponse:
    lottery = selectors.round_get_public(_m(request), round_id)
    context: dict[str, Any] = {
        "lottery": lottery,
        "window_open": services.window_is_open(lottery),
        "offers": selectors.offers_of(lottery),
    }
    if lottery.status == RoundStatus.PUBLISHED:
        result = selectors.published_result(lottery)
        context["result"] = result
        # Checked again on every view from what is published, as anyone re-checking would do.
        context["seed_matches"] = seed_matches_commitment(result.get("seed") or "", lottery.commitment)
    if request.user.is_authenticated:
        context["my_entries"] = selectors.entries_of_user(_m(request), request.user, lottery)
    return render(request, "lottery/detail.html", context)


@require_GET
@municipality_view
@module_required
def result_json(request: HttpRequest, round_id: str) -> HttpResponse:
    lottery = selectors.round_get_public(_m(request), round_id)
    response = JsonResponse(selectors.published_result(lottery), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'inline; filename="lottery-{lottery.public_id}.json"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@municipality_view
@module_required
def enter(request: HttpRequest, round_id: str) -> HttpResponse:
    municipality = _m(request)
    lottery = selectors.round_get_public(municipality, round_id)
    if not services.window_is_open(lottery):
        return render(request, "lottery/closed.html", {"lottery": lottery}, status=409)
    if not Registration.objects.filter(
        municipality=municipality,
        user=request.user,  # type: ignore[misc]
        status=RegistrationStatus.APPROVED,
    ).exists():
        return render(request, "lottery/needs_registration.html", {"lottery": lottery})
    offers = selectors.offers_of(lottery)
    if request.method == "POST":
        form = EntryForm(request.POST, lottery=lottery, user=request.user, offers=offers)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.entry_create(
                    lottery=lottery,
                    registration=data["registration"],
                    offer_ids=data["offer_ids"],
                    actor=request.user,
                    request=request,
                    request_token=data["token"],
                )
            except ServiceError as error:
                if error.field == "preferences":
                    error.field = "preference_1"
                apply_service_error(form, error)
            else:
                messages.success(request, _("抽選に申し込みました。結果はこのページとメールでお知らせします。"))
                return redirect("lottery:mine", municipality_slug=municipality.slug)
    else:
        form = EntryForm(initial={"token": new_form_token()}, lottery=lottery, user=request.user, offers=offers)
    return render(request, "lottery/enter.html", {"form": form, "lottery": lottery})


@never_cache
@require_GET
@login_required
@municipality_view
@module_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "lottery/mine.html", {"entries": selectors.entries_of_user(_m(request), request.user)})


@require_POST
@login_required
@municipality_view
@module_required
def withdraw(request: HttpRequest, entry_id: str) -> HttpResponse:
    municipality = _m(request)
    entry = selectors.entry_of_user(municipality, request.user, entry_id)
    try:
        services.entry_withdraw(entry=entry, actor=request.user, request=request)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("申込を取り下げました。"))
    return redirect("lottery:mine", municipality_slug=municipality.slug)
