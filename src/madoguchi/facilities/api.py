"""/api/v1/municipalities/{slug}/facilities: the catalogue, availability, and a resident's bookings.

Booking accepts an Idempotency-Key (a replay returns the first booking, never a second one); a lost race is a
409 `slot_taken` with free alternatives in `fields.alternatives`; over the rate limit a 429 with Retry-After.
Paying a 仮予約 online starts (or returns the already started) payment: the client sends the resident to its
`redirect_url`, the hosted page of the municipality's payment provider; the booking is confirmed when the
money arrives (return or webhook), and the booking's status then reads `confirmed`.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth

from madoguchi.core.api import CleanText, PageParams, api_municipality
from madoguchi.core.errors import ServiceError, error_body
from madoguchi.core.idempotency import run_idempotent
from madoguchi.core.selectors import module_is_enabled

from . import selectors, services
from .manifest import KEY
from .models import Booking, Facility
from .ratelimit import api_limit

router = Router(tags=["facilities"])


class SlotOut(Schema):
    id: int
    label: str
    starts_at: str = Field(description="HH:MM")
    ends_at: str = Field(description="HH:MM")
    fee: int = Field(description="Yen, before multipliers")


class RoomOut(Schema):
    id: str
    name: str
    name_en: str
    capacity: int
    unit_kind: str
    bookable: bool
    slots: list[SlotOut]


class PhotoOut(Schema):
    url: str = Field(description="Absolute URL of the image (JPEG, PNG or WebP; metadata removed)")
    alt: str = Field(description="Text alternative in Japanese")
    alt_en: str
    width: int
    height: int


class FacilityOut(Schema):
    slug: str
    name: str
    name_kana: str
    name_en: str
    kind: str
    area: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    barrier_free: str
    access: str
    parking: str
    online_booking: bool
    photos: list[PhotoOut]
    rooms: list[RoomOut]


class FacilityPage(Schema):
    count: int
    items: list[FacilityOut]


class FacilityFilters(PageParams):
    kind: str = Field("", max_length=30)
    area: CleanText = Field("", max_length=40)
    capacity: int | None = Field(None, ge=1, le=100000)
    date: datetime.date | None = Field(None, description="Only facilities with a free unit that day")


class CellOut(Schema):
    date: datetime.date
    slot: int
    status: str = Field(description="free, taken, blocked, closed or past")


class AvailabilityOut(Schema):
    room: str
    month: str
    cells: list[CellOut]


class MonthQuery(Schema):
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM (default: this month)")


class BookingIn(Schema):
    room: str = Field(description="Room id")
    date: datetime.date
    slots: list[int] = Field(min_length=1, max_length=12)
    registration: str = Field(description="Id of one of your approved registrations")
    attendees: int = Field(ge=1, le=100000)
    purpose: CleanText = Field(max_length=200)
    is_commercial: bool = False
    equipment: list[int] = Field(default_factory=list, max_length=20)
    reduction: int | None = None
    reduction_reason: CleanText = Field("", max_length=400)


class BookingOut(Schema):
    id: str
    number: str
    facility: str
    room: str
    date: datetime.date
    slots: list[int]
    status: str
    fee_room: int
    fee_reduction: int
    fee_equipment: int
    fee_total: int
    payment_due_at: datetime.datetime | None
    refund_amount: int | None


class BookingPaymentOut(Schema):
    id: str
    status: str = Field(description="pending, paid, partially_refunded, refunded, failed, cancelled or expired")
    method: str = Field(description="card")
    amount: int = Field(description="Yen")
    receipt_number: str = Field(description="領収番号, once paid")
    redirect_url: str = Field(description="The provider's hosted payment page, while pending")


class BookingPage(Schema):
    count: int
    items: list[BookingOut]


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


def _facility_out(
    request: HttpRequest,
    municipality_slug: str,
    facility: Facility,
    rooms: dict[int, list[Any]] | None = None,
    slots: dict[int, list[Any]] | None = None,
    photos: dict[int, list[Any]] | None = None,
) -> dict[str, Any]:
    """One facility; `rooms`, `slots` and `photos` (grouped by facility and room id) avoid a query per row in
    lists."""
    facility_rooms = rooms.get(facility.pk, []) if rooms is not None else list(facility.rooms.all())
    facility_photos = photos.get(facility.pk, []) if photos is not None else list(facility.photos.all())
    return {
        "slug": facility.slug,
        "name": facility.name,
        "name_kana": facility.name_kana,
        "name_en": facility.name_en,
        "kind": facility.kind,
        "area": facility.area,
        "address": facility.address,
        "latitude": float(facility.latitude) if facility.latitude is not None else None,
        "longitude": float(facility.longitude) if facility.longitude is not None else None,
        "phone": facility.phone,
        "barrier_free": facility.barrier_free,
        "access": facility.access,
        "parking": facility.parking,
        "online_booking": facility.online_booking,
        "photos": [
            {
                "url": request.build_absolute_uri(
                    reverse(
                        "facilities:photo", kwargs={"municipality_slug": municipality_slug, "photo_id": photo.public_id}
                    )
                ),
                "alt": photo.alt,
                "alt_en": photo.alt_en,
                "width": photo.width,
                "height": photo.height,
            }
            for photo in facility_photos
        ],
        "rooms": [
            {
                "id": str(room.public_id),
                "name": room.name,
                "name_en": room.name_en,
                "capacity": room.capacity,
                "unit_kind": room.unit_kind,
                "bookable": room.is_bookable,
                "slots": [
                    {
                        "id": slot.pk,
                        "label": slot.label,
                        "starts_at": f"{slot.starts_at:%H:%M}",
                        "ends_at": f"{slot.ends_at:%H:%M}",
                        "fee": slot.fee,
                    }
                    for slot in (slots.get(room.pk, []) if slots is not None else room.slots.all())
                    if slot.is_active
                ],
            }
            for room in facility_rooms
        ],
    }


def booking_out(booking: Booking) -> dict[str, Any]:
    return {
        "id": str(booking.public_id),
        "number": booking.number,
        "facility": booking.room.facility.slug,
        "room": str(booking.room.public_id),
        "date": booking.date,
        "slots": sorted(unit.slot_id for unit in booking.units.all()),
        "status": booking.status,
        "fee_room": booking.fee_room,
        "fee_reduction": booking.fee_reduction,
        "fee_equipment": booking.fee_equipment,
        "fee_total": booking.fee_total,
        "payment_due_at": booking.payment_due_at,
        "refund_amount": booking.refund_amount,
    }


@router.get("/{slug}/facilities", response=FacilityPage, summary="Facilities (公共施設) with rooms and units")
def facility_list(request: HttpRequest, slug: str, filters: Query[FacilityFilters]) -> HttpResponse:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        items = selectors.facility_list_public(
            municipality, kind=filters.kind, area=filters.area, capacity=filters.capacity, day=filters.date
        )
        page = items[filters.offset : filters.offset + filters.limit]
        rooms, slots = selectors.rooms_and_slots(page)
        photos = selectors.photos_by_facility(page)
        body = {
            "count": len(items),
            "items": [_facility_out(request, municipality.slug, f, rooms, slots, photos) for f in page],
        }
        # Serialised here in exactly FacilityPage's shape (tests/facilities/test_api.py validates it against the
        # schema): running a page of 30 facilities with their rooms and units through the schema's validators
        # cost as much as the rest of the request.
        return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")


@router.get(
    "/{slug}/facilities/rooms/{room_id}/availability",
    response={200: AvailabilityOut, 404: ErrorOut, 429: ErrorOut},
    summary="A room's availability for a month (rate limited per user and per IP)",
)
def room_availability(request: HttpRequest, slug: str, room_id: str, query: Query[MonthQuery]) -> HttpResponse:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        api_limit(request, "facility_availability")
        room = selectors.room_get_public(municipality, room_id)
        today = timezone.localdate()
        year, month = (int(p) for p in query.month.split("-")) if query.month else (today.year, today.month)
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ServiceError("validation_error", _month_message(), field="month", status=422)
        calendar = selectors.room_month(room, year, month)
        body = {
            "room": str(room.public_id),
            "month": f"{year:04d}-{month:02d}",
            "cells": [
                {"date": day, "slot": slot.pk, "status": status}
                for row in calendar.days
                for day in (row.day.isoformat(),)
                for slot, status in zip(row.slots, row.statuses, strict=True)
            ],
        }
        # Serialised here, in exactly AvailabilityOut's shape (tests/facilities/test_availability.py checks it
        # against the schema): validating ~100 cells through the schema cost a fifth of the request.
        return HttpResponse(json.dumps(body), content_type="application/json; charset=utf-8")


def _mine(request: HttpRequest, municipality: Any, booking_id: str) -> Booking:
    return selectors.booking_of_user(municipality, request.auth, booking_id)  # type: ignore[attr-defined]


@router.post(
    "/{slug}/facilities/bookings",
    response={
        201: BookingOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    auth=SessionAuth(),
    summary="Book (仮予約) units of a room (send Idempotency-Key to make retries safe)",
)
def booking_create(request: HttpRequest, slug: str, payload: BookingIn) -> Status:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        api_limit(request, "facility_booking")
        user = request.auth  # type: ignore[attr-defined]
        room = selectors.room_get_public(municipality, payload.room)
        registration = next(
            (
                r
                for r in selectors.bookable_registrations(municipality, user)
                if str(r.public_id) == payload.registration
            ),
            None,
        )
        if registration is None:
            raise ServiceError(
                "registration_not_approved",
                _registration_message(),
                field="registration",
                status=403,
            )
        slots = selectors.slots_of_room(room, payload.slots)
        if len(slots) != len(set(payload.slots)):
            raise ServiceError("slot_invalid", _slot_message(), field="slots", status=422)
        equipment = selectors.equipment_of_facility(room.facility, payload.equipment)
        if len(equipment) != len(set(payload.equipment)):
            raise ServiceError("equipment_invalid", _equipment_message(), field="equipment", status=422)
        reduction = None
        if payload.reduction is not None:
            reduction = selectors.reduction_get(municipality, payload.reduction)

        def create() -> tuple[int, dict[str, Any]]:
            booking = services.booking_create(
                municipality=municipality,
                room=room,
                date=payload.date,
                slots=slots,
                registration=registration,
                actor=user,
                request=request,
                purpose=payload.purpose,
                attendees=payload.attendees,
                is_commercial=payload.is_commercial,
                equipment=equipment,
                reduction=reduction,
                reduction_reason=payload.reduction_reason,
            )
            return 201, booking_out(booking)

        try:
            status, body = run_idempotent(
                request, scope=f"user:{user.pk}:facility-booking:{municipality.pk}", operation=create
            )
        except services.SlotTaken as taken:
            alternatives = selectors.alternatives(room, payload.date, slots)
            return Status(
                409,
                error_body(
                    taken.code,
                    str(taken.message),
                    {
                        "slots": [str(taken.message)],
                        "alternatives": [
                            f"{alt.day.isoformat()} {alt.room.public_id} {alt.slot.pk}" for alt in alternatives
                        ],
                    },
                ),
            )
        return Status(status, body)


def _month_message() -> str:
    from django.utils.translation import gettext as _

    return _("月は2000-01から2100-12の間で指定してください。")


def _registration_message() -> str:
    from django.utils.translation import gettext as _

    return _("利用者登録が承認されていないか、利用停止中のため予約できません。")


def _slot_message() -> str:
    from django.utils.translation import gettext as _

    return _("選んだ時間帯はこの部屋では予約できません。")


def _equipment_message() -> str:
    from django.utils.translation import gettext as _

    return _("選んだ附帯設備はこの施設にありません。")


@router.get(
    "/{slug}/facilities/bookings",
    response={200: BookingPage, 401: ErrorOut, 404: ErrorOut},
    auth=SessionAuth(),
    summary="My bookings",
)
def my_bookings(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        queryset = selectors.bookings_of_user(municipality, request.auth)  # type: ignore[attr-defined]
        items = list(queryset[page.offset : page.offset + page.limit])
        return {"count": queryset.count(), "items": [booking_out(b) for b in items]}


@router.get(
    "/{slug}/facilities/bookings/{booking_id}",
    response={200: BookingOut, 401: ErrorOut, 404: ErrorOut},
    auth=SessionAuth(),
    summary="One of my bookings",
)
def my_booking(request: HttpRequest, slug: str, booking_id: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        return booking_out(_mine(request, municipality, booking_id))


@router.post(
    "/{slug}/facilities/bookings/{booking_id}/cancel",
    response={200: BookingOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=SessionAuth(),
    summary="Cancel one of my bookings (refund by the facility's table of days before use)",
)
def my_booking_cancel(request: HttpRequest, slug: str, booking_id: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        booking = _mine(request, municipality, booking_id)
        booking = services.booking_cancel(booking, actor=request.auth, request=request)  # type: ignore[attr-defined]
        return booking_out(selectors.booking_of_user(municipality, request.auth, str(booking.public_id)))  # type: ignore[attr-defined]


@router.post(
    "/{slug}/facilities/bookings/{booking_id}/payment",
    response={200: BookingPaymentOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 502: ErrorOut},
    auth=SessionAuth(),
    summary="Pay one of my 仮予約 online (idempotent: repeats return the payment already started)",
)
def my_booking_pay(request: HttpRequest, slug: str, booking_id: str) -> dict[str, Any]:
    from .payment import booking_pay_online

    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        booking = _mine(request, municipality, booking_id)
        started = booking_pay_online(booking=booking, actor=request.auth, request=request)  # type: ignore[attr-defined]
        return {
            "id": str(started.public_id),
            "status": started.status,
            "method": started.method,
            "amount": started.amount,
            "receipt_number": started.receipt_number,
            "redirect_url": "" if started.money_received else started.redirect_url,
        }


# Last: its path would otherwise catch /facilities/bookings.
@router.get("/{slug}/facilities/{facility_slug}", response=FacilityOut, summary="One facility")
def facility_detail(request: HttpRequest, slug: str, facility_slug: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        return _facility_out(request, municipality.slug, selectors.facility_get_public(municipality, facility_slug))
