"""Public pages (no login): facility list with filters, facility page with map, availability calendars and
the public iCal feed; and, signed in: 利用者登録, booking, マイページ (bookings, QR code, cancel, private feed)."""

from __future__ import annotations

import datetime
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.templatetags.madoguchi_ui import date_both
from madoguchi.core.tenancy import municipality_view

from . import availability, ical, payment, selectors, services
from .forms import BookingForm, FacilityFilterForm, RegistrationForm, new_form_token
from .manifest import module_required
from .models import ACTIVE_STATUSES, BookingStatus, PaymentMethod, Room
from .ratelimit import limited


def _month_param(value: str) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in value.split("-", 1))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def _date_param(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value and len(value) <= 10 else None
    except ValueError:
        return None


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


@require_GET
@municipality_view
@module_required
def facility_list(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = FacilityFilterForm(request.GET or None, areas=selectors.facility_areas(municipality))
    facilities = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        facilities = selectors.facility_list_public(
            municipality, kind=data["kind"], area=data["area"], capacity=data["capacity"], day=data["date"]
        )
    elif not form.is_bound:
        facilities = selectors.facility_list_public(municipality)
    return render(request, "facilities/list.html", {"form": form, "facilities": facilities})


@require_GET
@municipality_view
@module_required
def facility_detail(request: HttpRequest, facility_slug: str) -> HttpResponse:
    facility = selectors.facility_get_public(request.municipality, facility_slug)  # type: ignore[attr-defined]
    return render(
        request,
        "facilities/detail.html",
        {
            "facility": facility,
            "tile_url": settings.FACILITIES_MAP_TILE_URL,
            "attribution": settings.FACILITIES_MAP_ATTRIBUTION,
            "reductions": selectors.reductions_available(facility.municipality),
        },
    )


def _week_start(value: str) -> datetime.date:
    """The week's first day from ?start=, today when missing or outside the years the month view accepts
    (so neither the page nor its previous/next links can run off the calendar)."""
    start = _date_param(value)
    if start is None or not 2000 <= start.year <= 2100:
        return timezone.localdate()
    return start


def _book_url(request: HttpRequest, room: Room) -> str:
    return reverse(
        "facilities:book",
        kwargs={"municipality_slug": request.municipality.slug, "room_id": room.public_id},  # type: ignore[attr-defined]
    )


@require_GET
@municipality_view
@module_required
@limited("facility_availability", methods=("GET",))
def room_calendar(request: HttpRequest, room_id: str) -> HttpResponse:
    room = selectors.room_get_public(request.municipality, room_id)  # type: ignore[attr-defined]
    view = "week" if request.GET.get("view") == "week" else "month"
    book_url = _book_url(request, room)
    context: dict[str, Any] = {"room": room, "facility": room.facility, "view": view, "book_url": book_url}
    if view == "week":
        start = _week_start(request.GET.get("start", ""))
        week = selectors.room_week(room, start)
        caption = _("%(start)sからの1週間の空き状況") % {"start": date_both(start)}
        [context["table"]] = availability.rendered_tables(
            "facilities/_week_table.html", [(week, {"book_url": book_url, "caption": caption})]
        )
        context["previous_start"] = (start - datetime.timedelta(days=7)).isoformat()
        context["next_start"] = (start + datetime.timedelta(days=7)).isoformat()
        context["start"] = start
    else:
        year, month = _month_param(request.GET.get("month", ""))
        caption = _("%(month)s の空き状況") % {"month": f"{year:04d}-{month:02d}"}
        [context["table"]] = availability.rendered_tables(
            "facilities/_month_table.html",
            [(selectors.room_month(room, year, month), {"book_url": book_url, "caption": caption})],
        )
        context["month_start"] = datetime.date(year, month, 1)
        context["previous_month"] = "{:04d}-{:02d}".format(*_shift_month(year, month, -1))
        context["next_month"] = "{:04d}-{:02d}".format(*_shift_month(year, month, 1))
    return render(request, "facilities/calendar.html", context)


@require_GET
@municipality_view
@module_required
@limited("facility_availability", methods=("GET",))
def facility_calendar(request: HttpRequest, facility_slug: str) -> HttpResponse:
    """The month of every bookable room of a facility, one table per room (each readable on its own)."""
    facility = selectors.facility_for_calendar(request.municipality, facility_slug)  # type: ignore[attr-defined]
    year, month = _month_param(request.GET.get("month", ""))
    label = f"{year:04d}-{month:02d}"
    calendars = selectors.facility_month(facility, year, month) if facility.online_booking else []
    tables = availability.rendered_tables(
        "facilities/_month_table.html",
        [
            (
                cal,
                {
                    "book_url": _book_url(request, cal.room),
                    "caption": _("%(room)s %(month)s の空き状況") % {"room": cal.room.display_name, "month": label},
                },
            )
            for cal in calendars
        ],
    )
    return render(
        request,
        "facilities/facility_calendar.html",
        {
            "facility": facility,
            "rooms": [(cal.room, table) for cal, table in zip(calendars, tables, strict=True)],
            "month_start": datetime.date(year, month, 1),
            "previous_month": "{:04d}-{:02d}".format(*_shift_month(year, month, -1)),
            "next_month": "{:04d}-{:02d}".format(*_shift_month(year, month, 1)),
        },
    )


@require_GET
@municipality_view
@module_required
@limited("facility_availability", methods=("GET",))
def room_ical(request: HttpRequest, room_id: str) -> HttpResponse:
    room = selectors.room_get_public(request.municipality, room_id)  # type: ignore[attr-defined]
    today = timezone.localdate()
    units = selectors.public_busy_units(room, today, today + datetime.timedelta(days=120))
    body = ical.public_feed(room, units)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# --- Signed in -------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@municipality_view
@module_required
def registration_new(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = RegistrationForm(request.POST or None, initial={"kind": "individual", "resident_members_count": 1})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind = data.pop("kind")
        data["members_count"] = data.get("members_count") or 1
        try:
            services.registration_create(
                municipality=municipality, user=request.user, kind=kind, data=data, request=request
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(
                request, _("利用者登録を申し込みました。職員が確認して承認すると、予約できるようになります。")
            )
            return redirect("facilities:mine", municipality_slug=municipality.slug)
    return render(request, "facilities/registration_form.html", {"form": form})


def _booking_form(request: HttpRequest, room: Room, data: Any = None, **kwargs: Any) -> BookingForm:
    municipality = request.municipality  # type: ignore[attr-defined]
    return BookingForm(
        data,
        room=room,
        registrations=selectors.bookable_registrations(municipality, request.user),
        reductions=selectors.reductions_available(municipality),
        **kwargs,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@municipality_view
@module_required
@limited("facility_booking", methods=("POST",))
def book(request: HttpRequest, room_id: str) -> HttpResponse:
    """Choose units → check the total → 予約する. A one-time token makes a double submission harmless."""
    municipality = request.municipality  # type: ignore[attr-defined]
    room = selectors.room_get_public(municipality, room_id)
    registrations = selectors.bookable_registrations(municipality, request.user)
    if not registrations:
        return render(
            request,
            "facilities/book_needs_registration.html",
            {"room": room, "registrations": selectors.registrations_of_user(municipality, request.user)},
        )
    quote = None
    alternatives: list[Any] = []
    if request.method == "POST":
        form = _booking_form(request, room, request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)  # a refusal put on a field removes it from cleaned_data
            if "confirm" in request.POST:
                try:
                    booking = services.booking_create(
                        municipality=municipality,
                        room=room,
                        date=data["date"],
                        slots=list(data["slots"]),
                        registration=data["registration"],
                        actor=request.user,
                        request=request,
                        purpose=data["purpose"],
                        attendees=data["attendees"],
                        is_commercial=data["is_commercial"],
                        equipment=list(data.get("equipment") or []),
                        reduction=data["reduction"],
                        reduction_reason=data["reduction_reason"],
                        request_token=data["token"],
                    )
                except services.SlotTaken as taken:
                    apply_service_error(form, taken)
                    alternatives = selectors.alternatives(room, data["date"], list(data["slots"]))
                    response = render(
                        request,
                        "facilities/book.html",
                        {"form": form, "room": room, "alternatives": alternatives, "taken": True},
                        status=409,
                    )
                    return response
                except ServiceError as error:
                    apply_service_error(form, error)
                else:
                    return redirect(
                        "facilities:mine_booking", municipality_slug=municipality.slug, booking_id=booking.public_id
                    )
            if not form.errors:
                quote = services.fee_quote(
                    facility=room.facility,
                    slots=list(data["slots"]),
                    is_resident=data["registration"].is_resident,
                    is_commercial=data["is_commercial"],
                    equipment=list(data.get("equipment") or []),
                    reduction=data["reduction"],
                )
    else:
        initial: dict[str, Any] = {"token": new_form_token(), "attendees": 1}
        day = _date_param(request.GET.get("date", ""))
        if day:
            initial["date"] = day
        slot_id = request.GET.get("slot", "")
        if slot_id.isdigit():
            initial["slots"] = [int(slot_id)]
        form = _booking_form(request, room, initial=initial)
    return render(request, "facilities/book.html", {"form": form, "room": room, "quote": quote})


@require_GET
@login_required
@municipality_view
@module_required
def mine(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    registrations = selectors.registrations_of_user(municipality, request.user)
    bookings = list(selectors.bookings_of_user(municipality, request.user)[:200])
    today = timezone.localdate()
    return render(
        request,
        "facilities/mine.html",
        {
            "registrations": registrations,
            "upcoming": [b for b in bookings if b.date >= today and b.status in ACTIVE_STATUSES],
            "past": [b for b in bookings if not (b.date >= today and b.status in ACTIVE_STATUSES)],
        },
    )


@never_cache
@require_GET
@login_required
@municipality_view
@module_required
def mine_booking(request: HttpRequest, booking_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    booking = selectors.booking_of_user(municipality, request.user, booking_id)
    qr_svg = ""
    if booking.status == BookingStatus.CONFIRMED:
        url = request.build_absolute_uri(
            reverse(
                "facilities_staff:checkin",
                kwargs={"municipality_slug": municipality.slug, "token": booking.checkin_token},
            )
        )
        qr_svg = segno.make(url, error="m").svg_inline(scale=4, title=_("受付用QRコード"))
    refund = services.refund_for(booking, today=timezone.localdate()) if booking.is_active else 0
    return render(
        request,
        "facilities/mine_booking.html",
        {
            "booking": booking,
            "qr_svg": qr_svg,
            "refund": refund,
            "can_cancel": booking.is_active and booking.date >= timezone.localdate(),
            "payment": payment.booking_payment_state(booking),
        },
    )


@never_cache
@require_POST
@login_required
@municipality_view
@module_required
def mine_pay(request: HttpRequest, booking_id: str) -> HttpResponse:
    """「オンラインで支払う」: start (or resume) the booking's online payment and go to the hosted page."""
    municipality = request.municipality  # type: ignore[attr-defined]
    booking = selectors.booking_of_user(municipality, request.user, booking_id)
    try:
        started = payment.booking_pay_online(booking=booking, actor=request.user, request=request)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        if not started.money_received and started.redirect_url:
            return redirect(started.redirect_url)
        messages.info(request, _("この予約のお支払いは受け付け済みです。"))
    return redirect("facilities:mine_booking", municipality_slug=municipality.slug, booking_id=booking.public_id)


@require_POST
@login_required
@municipality_view
@module_required
def mine_cancel(request: HttpRequest, booking_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    booking = selectors.booking_of_user(municipality, request.user, booking_id)
    try:
        booking = services.booking_cancel(booking, actor=request.user, request=request)
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("予約を取り消しました。返金額は%(amount)s円です。") % {"amount": f"{booking.refund_amount or 0:,}"},
        )
        if booking.payment_method == PaymentMethod.ONLINE and booking.refund_amount:
            messages.info(
                request,
                _(
                    "お支払いに使ったカードへの返金を手続きしました。カードの明細に反映されるまで日数がかかることがあります。"
                ),
            )
    return redirect("facilities:mine_booking", municipality_slug=municipality.slug, booking_id=booking.public_id)


@require_POST
@login_required
@municipality_view
@module_required
def mine_ical_regenerate(request: HttpRequest, registration_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    registration = next(
        (r for r in selectors.registrations_of_user(municipality, request.user) if str(r.public_id) == registration_id),
        None,
    )
    if registration is None:
        raise Http404
    services.registration_regenerate_ical_token(registration=registration, request=request)
    messages.success(request, _("カレンダー用のURLを新しくしました。前のURLは使えなくなりました。"))
    return redirect("facilities:mine", municipality_slug=municipality.slug)


@require_GET
@municipality_view
@module_required
def mine_ical(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: reachable only through its unguessable URL (calendar apps cannot sign in)."""
    municipality = request.municipality  # type: ignore[attr-defined]
    if len(token) > 64:
        raise Http404
    registration = selectors.registration_by_ical_token(municipality, token)
    bookings = selectors.bookings_for_feed(municipality, registration)
    audit_record(
        action="personal_data.view",
        actor=None,
        municipality=municipality,
        object_type="facility_registration",
        object_id=str(registration.public_id),
        request=request,
        details={"fields": ["bookings"], "via": "ical"},
    )
    return HttpResponse(ical.private_feed(registration, bookings), content_type="text/calendar; charset=utf-8")


@require_GET
@municipality_view
@module_required
def photo(request: HttpRequest, photo_id: str) -> HttpResponse:
    """The bytes of a published facility's photo. A photo's bytes never change (a new photo gets a new id), so
    browsers and proxies may keep it for a day and revalidate with the ETag after that."""
    item = selectors.photo_get_public(request.municipality, photo_id)  # type: ignore[attr-defined]
    etag = f'"{item.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        try:
            with default_storage.open(item.storage_name, "rb") as handle:
                data = handle.read()
        except OSError as missing:  # the row outlived its file (a restore without media, say)
            raise Http404 from missing
        response = HttpResponse(data, content_type=item.content_type)
        response["Content-Disposition"] = "inline"
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    return response
