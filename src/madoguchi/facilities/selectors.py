"""Reads of the facilities module; every query is filtered by municipality, lookups by id are 404 elsewhere.

Availability (availability.py) is computed from two or three queries whatever the size of the month (units,
booked units, and for a facility its rooms): the benchmark and tests/facilities/test_queries.py hold it to that.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import get_object_in_municipality

from . import availability
from .availability import RoomCalendar, SlotColumn
from .models import (
    ACTIVE_STATUSES,
    BookedUnit,
    Booking,
    BookingStatus,
    Facility,
    FacilityPhoto,
    Reduction,
    ReductionStatus,
    Registration,
    RegistrationStatus,
    Room,
    TimeSlot,
)
from .services import closed_reason

# The calendar's shapes live in availability.py; selectors keep the names views and tests know.
FREE, TAKEN, BLOCKED, CLOSED, PAST = (
    availability.FREE,
    availability.TAKEN,
    availability.BLOCKED,
    availability.CLOSED,
    availability.PAST,
)


def facility_list_public(
    municipality: Municipality,
    *,
    kind: str = "",
    area: str = "",
    capacity: int | None = None,
    day: datetime.date | None = None,
) -> list[Facility]:
    queryset = Facility.objects.filter(municipality=municipality, is_published=True).prefetch_related(
        Prefetch("rooms", queryset=Room.objects.filter(is_bookable=True).order_by("sort_order", "pk"))
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if area:
        queryset = queryset.filter(area=area)
    if capacity:
        queryset = queryset.filter(rooms__capacity__gte=capacity, rooms__is_bookable=True).distinct()
    facilities = list(queryset)
    if day is None:
        return facilities
    # Only facilities open that day with at least one free unit in a room large enough.
    open_facilities = [facility for facility in facilities if closed_reason(facility, day) is None]
    rooms = [
        room
        for facility in open_facilities
        for room in facility.rooms.all()
        if not capacity or room.capacity >= capacity
    ]
    slots = TimeSlot.objects.filter(room__in=rooms, is_active=True).values_list("room_id", "pk")
    taken = set(_taken_units(rooms, day, day).values_list("room_id", "slot_id"))
    rooms_free = {room_id for room_id, slot_id in slots if (room_id, slot_id) not in taken}
    return [facility for facility in open_facilities if any(room.pk in rooms_free for room in facility.rooms.all())]


def facility_areas(municipality: Municipality) -> list[str]:
    return sorted(
        set(
            Facility.objects.filter(municipality=municipality, is_published=True)
            .exclude(area="")
            .values_list("area", flat=True)
        )
    )


def facility_get_public(municipality: Municipality, slug: str) -> Facility:
    return get_object_in_municipality(
        Facility.objects.prefetch_related(
            Prefetch("rooms", queryset=Room.objects.order_by("sort_order", "pk").prefetch_related("slots")),  # type: ignore[arg-type]
            "equipment",
            "photos",
        ),
        municipality,
        slug=slug,
        is_published=True,
    )


def photo_get_public(municipality: Municipality, photo_id: str) -> FacilityPhoto:
    """A photo of a published facility (an unpublished facility's photos are not public either)."""
    return get_object_in_municipality(
        FacilityPhoto.objects.all(), municipality, public_id=photo_id, facility__is_published=True
    )


def photo_for_staff(municipality: Municipality, photo_id: str) -> FacilityPhoto:
    return get_object_in_municipality(
        FacilityPhoto.objects.select_related("facility", "municipality"), municipality, public_id=photo_id
    )


def facility_for_calendar(municipality: Municipality, slug: str) -> Facility:
    """A published facility without its catalogue (the all-rooms calendar loads its rooms itself)."""
    return get_object_in_municipality(Facility.objects.all(), municipality, slug=slug, is_published=True)


def room_get_public(municipality: Municipality, room_id: str) -> Room:
    # Ordered by id: the model's default order goes through the facility's and costs a join to sort one row.
    return get_object_in_municipality(
        Room.objects.select_related("facility").order_by("pk"),
        municipality,
        public_id=room_id,
        facility__is_published=True,
    )


def reductions_available(municipality: Municipality) -> QuerySet[Reduction]:
    return Reduction.objects.filter(municipality=municipality, is_active=True)


def _taken_units(rooms: list[Room] | QuerySet[Room], first: datetime.date, last: datetime.date) -> QuerySet[BookedUnit]:
    return availability.taken_units(rooms, first, last)


month_bounds = availability.month_bounds


def room_month(room: Room, year: int, month: int) -> RoomCalendar:
    """A room's month (room loaded with its facility): two queries, whatever is booked."""
    first, last = month_bounds(year, month)
    return availability.calendars([room], first, last)[0]


def room_week(room: Room, start: datetime.date) -> RoomCalendar:
    return availability.calendars([room], start, start + datetime.timedelta(days=6))[0]


def facility_month(facility: Facility, year: int, month: int) -> list[RoomCalendar]:
    """The month of every bookable room of a facility: three queries (rooms, units, booked units)."""
    rooms = list(Room.objects.filter(facility=facility, is_bookable=True).order_by("sort_order", "pk"))
    for room in rooms:
        room.facility = facility  # one facility for all: no query per room
    first, last = month_bounds(year, month)
    return availability.calendars(rooms, first, last)


@dataclass(frozen=True)
class Alternative:
    room: Room
    day: datetime.date
    slot: SlotColumn


def alternatives(room: Room, day: datetime.date, slots: list[TimeSlot], *, limit: int = 6) -> list[Alternative]:
    """Free units to offer after a lost race: other units that day, other rooms of the facility, later days."""
    start = max(day, timezone.localdate())
    rooms = list(Room.objects.filter(facility=room.facility, is_bookable=True).order_by("sort_order", "pk"))
    for other in rooms:
        other.facility = room.facility
    calendars = availability.calendars(rooms, start, start + datetime.timedelta(days=13))
    wanted = {slot.starts_at for slot in slots}
    found: list[tuple[int, Alternative]] = []
    for cal in calendars:
        for row in cal.days:
            for cell in row.cells:
                if cell.status != FREE:
                    continue
                rank = (row.day - start).days * 10 + (0 if cal.room.pk == room.pk else 5)
                rank -= 3 if cell.slot.starts_at in wanted else 0
                found.append((rank, Alternative(room=cal.room, day=row.day, slot=cell.slot)))
    found.sort(key=lambda item: (item[0], item[1].day, item[1].slot.starts_at))
    return [alt for _rank, alt in found[:limit]]


# --- Residents ---------------------------------------------------------------------------------------------


def registrations_of_user(municipality: Municipality, user: Any) -> list[Registration]:
    return list(Registration.objects.filter(municipality=municipality, user=user).order_by("kind", "created_at"))


def bookable_registrations(municipality: Municipality, user: Any) -> list[Registration]:
    return [r for r in registrations_of_user(municipality, user) if r.status == RegistrationStatus.APPROVED]


def registration_by_ical_token(municipality: Municipality, token: str) -> Registration:
    return get_object_in_municipality(Registration.objects.all(), municipality, ical_token=token)


def bookings_of_user(municipality: Municipality, user: Any) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(municipality=municipality, registration__user=user)
        .select_related("room__facility", "registration")
        .prefetch_related(Prefetch("units", queryset=BookedUnit.objects.select_related("slot")))
        .order_by("-date", "-pk")
    )


def booking_of_user(municipality: Municipality, user: Any, booking_id: str) -> Booking:
    return get_object_in_municipality(bookings_of_user(municipality, user), municipality, public_id=booking_id)


# --- Staff -------------------------------------------------------------------------------------------------


def facilities_for_staff(municipality: Municipality) -> QuerySet[Facility]:
    return Facility.objects.filter(municipality=municipality).prefetch_related("rooms")


def facility_for_staff(municipality: Municipality, facility_id: str) -> Facility:
    return get_object_in_municipality(
        Facility.objects.prefetch_related("rooms__slots", "equipment", "photos"), municipality, public_id=facility_id
    )


def room_for_staff(municipality: Municipality, room_id: str) -> Room:
    return get_object_in_municipality(Room.objects.select_related("facility"), municipality, public_id=room_id)


def bookings_for_day(municipality: Municipality, facility: Facility, day: datetime.date) -> list[Booking]:
    return list(
        Booking.objects.filter(municipality=municipality, room__facility=facility, date=day)
        .filter(status__in=(*ACTIVE_STATUSES, BookingStatus.NO_SHOW))
        .select_related("room", "registration")
        .prefetch_related(Prefetch("units", queryset=BookedUnit.objects.select_related("slot")), "equipment")
        .order_by("room__sort_order", "room_id", "pk")
    )


def booking_for_staff(municipality: Municipality, booking_id: str) -> Booking:
    return get_object_in_municipality(
        Booking.objects.select_related("room__facility", "registration__user", "reduction").prefetch_related(
            Prefetch("units", queryset=BookedUnit.objects.select_related("slot")), "equipment"
        ),
        municipality,
        public_id=booking_id,
    )


def booking_by_checkin_token(municipality: Municipality, token: str) -> Booking:
    return booking_for_staff_by(municipality, checkin_token=token)


def booking_for_staff_by(municipality: Municipality, **lookup: Any) -> Booking:
    return get_object_in_municipality(
        Booking.objects.select_related("room__facility", "registration"), municipality, **lookup
    )


def registrations_for_staff(municipality: Municipality, *, status: str = "") -> QuerySet[Registration]:
    queryset = Registration.objects.filter(municipality=municipality).select_related("user")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("status", "-created_at")


def registration_for_staff(municipality: Municipality, registration_id: str) -> Registration:
    return get_object_in_municipality(
        Registration.objects.select_related("user"), municipality, public_id=registration_id
    )


def reductions_pending(municipality: Municipality) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            municipality=municipality, reduction_status=ReductionStatus.PENDING, status=BookingStatus.PROVISIONAL
        )
        .select_related("room__facility", "registration", "reduction")
        .order_by("date")
    )


def registrations_search(municipality: Municipality, query: str) -> QuerySet[Registration]:
    queryset = registrations_for_staff(municipality, status=RegistrationStatus.APPROVED)
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(name_kana__icontains=query) | Q(phone=query))
    return queryset[:50]


def public_busy_units(room: Room, first: datetime.date, last: datetime.date) -> list[BookedUnit]:
    """Busy units of a room for the public iCal feed (no names, no booking numbers)."""
    return list(_taken_units([room], first, last).select_related("slot").order_by("date", "starts"))


def bookings_for_feed(municipality: Municipality, registration: Registration) -> list[Booking]:
    return list(
        Booking.objects.filter(municipality=municipality, registration=registration, status__in=ACTIVE_STATUSES)
        .select_related("room__facility")
        .prefetch_related(Prefetch("units", queryset=BookedUnit.objects.filter(is_active=True).select_related("slot")))
        .order_by("date")[:500]
    )


def slots_of_room(room: Room, ids: list[int]) -> list[TimeSlot]:
    return list(TimeSlot.objects.filter(municipality=room.municipality, room=room, pk__in=ids))


def equipment_of_facility(facility: Facility, ids: list[int]) -> list[Any]:
    from .models import Equipment

    return list(Equipment.objects.filter(municipality=facility.municipality, facility=facility, pk__in=ids))


def reduction_get(municipality: Municipality, reduction_id: int) -> Reduction:
    return get_object_in_municipality(Reduction.objects.all(), municipality, pk=reduction_id)


def rooms_and_slots(facilities: list[Facility]) -> tuple[dict[int, list[Room]], dict[int, list[TimeSlot]]]:
    """Rooms by facility id and active units by room id in two flat queries (no per-row related managers,
    which cost a scoped query build each)."""
    rooms: dict[int, list[Room]] = defaultdict(list)
    for room in Room.objects.filter(facility__in=facilities).order_by("sort_order", "pk"):
        rooms[room.facility_id].append(room)
    slots: dict[int, list[TimeSlot]] = defaultdict(list)
    for slot in TimeSlot.objects.filter(room__facility__in=facilities, is_active=True).order_by("starts_at"):
        slots[slot.room_id].append(slot)
    return rooms, slots


def photos_by_facility(facilities: list[Facility]) -> dict[int, list[FacilityPhoto]]:
    """The photos of these facilities in their order, by facility id, in one query."""
    photos: dict[int, list[FacilityPhoto]] = defaultdict(list)
    for photo in FacilityPhoto.objects.filter(facility__in=facilities).order_by("position", "pk"):
        photos[photo.facility_id].append(photo)
    return photos
