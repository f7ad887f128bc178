"""Availability of rooms for a month or a week: read fresh on every request, rendered once per distinct content.

Correctness first. The statuses are read from the database on every request — the room's active units and the
booked units of the range, two `values_list` queries whatever the size of the month — so a booking, a
cancellation, a staff block, an expired 仮予約 or a lottery hold shows at once, whichever code path wrote it;
nothing has to remember to invalidate anything.

What is cached is the rendering, the costly part (a month is 90 cells per room, 370 for a facility of four
rooms). The HTML of a calendar table is stored in Django's cache (the database cache table, or Redis) under a
digest of everything the table shows: the units, every day's closed reason and statuses, the language and the
booking link. A month that has not changed is rendered once; a month that has changed has another digest, so
an old rendering can never be served for it. Entries are short-lived only to keep the cache small.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from madoguchi.core.models import localized

from .models import BookedUnit, BookingStatus, Room, TimeSlot
from .services import closed_reason

FREE, TAKEN, BLOCKED, CLOSED, PAST = "free", "taken", "blocked", "closed", "past"

# Long enough that a popular month is rendered once for many visitors, short enough that months nobody looks
# at any more leave the cache soon (the database cache culls when it grows past its maximum entries).
RENDERED_TABLE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class SlotColumn:
    """One active unit of a room as the calendar needs it (no model instance: nothing lazy, nothing to query)."""

    pk: int
    label: str
    label_en: str
    starts_at: datetime.time
    ends_at: datetime.time

    @property
    def display_label(self) -> str:
        return localized(self.label, self.label_en)


@dataclass(frozen=True, slots=True)
class Cell:
    slot: SlotColumn
    day: datetime.date
    status: str

    @property
    def bookable(self) -> bool:
        return self.status == FREE


@dataclass(frozen=True, slots=True)
class DayRow:
    day: datetime.date
    closed: str | None
    slots: tuple[SlotColumn, ...]
    # One status per unit, in the order of `slots`.
    statuses: tuple[str, ...]

    @property
    def cells(self) -> list[Cell]:
        # Made when asked for (rendering a table that is not cached yet, alternatives): a cached month and the
        # API need only the statuses.
        return [Cell(slot, self.day, status) for slot, status in zip(self.slots, self.statuses, strict=True)]

    @property
    def free_count(self) -> int:
        return self.statuses.count(FREE)


@dataclass(frozen=True)
class RoomCalendar:
    room: Room
    slots: tuple[SlotColumn, ...]
    days: tuple[DayRow, ...]
    # Everything the calendar shows, in a compact text form: the key of its cached rendering.
    fingerprint: str

    @property
    def weeks(self) -> list[list[DayRow | None]]:
        """Monday-first weeks for a month grid (None pads the first and last week)."""
        if not self.days:
            return []
        lead = self.days[0].day.weekday()
        padded: list[DayRow | None] = [None] * lead + list(self.days)
        padded += [None] * (-len(padded) % 7)
        return [padded[i : i + 7] for i in range(0, len(padded), 7)]

    @property
    def slot_rows(self) -> list[tuple[SlotColumn, list[Cell]]]:
        """The week view's rows: each unit with its cell on every day (the month grid turned on its side)."""
        return [
            (slot, [Cell(slot, row.day, row.statuses[index]) for row in self.days])
            for index, slot in enumerate(self.slots)
        ]


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def taken_units(
    rooms: Iterable[Room] | QuerySet[Room], first: datetime.date, last: datetime.date
) -> QuerySet[BookedUnit]:
    """Active units in the range, not counting 仮予約 whose payment deadline has passed (they are free)."""
    return BookedUnit.objects.filter(room__in=rooms, date__gte=first, date__lte=last, is_active=True).exclude(
        booking__status=BookingStatus.PROVISIONAL, booking__payment_due_at__lt=timezone.now()
    )


def slot_columns(rooms: list[Room]) -> dict[int, list[SlotColumn]]:
    """Active units by room id, in time order, from one query."""
    columns: dict[int, list[SlotColumn]] = defaultdict(list)
    rows = (
        TimeSlot.objects.filter(room__in=rooms, is_active=True)
        .order_by("starts_at", "pk")
        .values_list("room_id", "pk", "label", "label_en", "starts_at", "ends_at")
    )
    for room_id, pk, label, label_en, starts_at, ends_at in rows:
        columns[room_id].append(SlotColumn(pk, label, label_en, starts_at, ends_at))
    return columns


def calendars(
    rooms: list[Room],
    first: datetime.date,
    last: datetime.date,
    *,
    columns: Mapping[int, list[SlotColumn]] | None = None,
) -> list[RoomCalendar]:
    """The calendars of rooms of one facility (each room's `facility` loaded) from two queries: units (unless
    given) and booked units. Statuses, in this order: closed day, unit already started (past), room not
    bookable (closed), booked (taken) or staff block (blocked), else free."""
    if not rooms:
        return []
    if columns is None:
        columns = slot_columns(rooms)
    status_of: dict[tuple[int, datetime.date, int], str] = {}
    for room_id, day, slot_id, booking_status in taken_units(rooms, first, last).values_list(
        "room_id", "date", "slot_id", "booking__status"
    ):
        status_of[(room_id, day, slot_id)] = BLOCKED if booking_status == BookingStatus.BLOCKED else TAKEN
    now = timezone.localtime()
    today, time_now = now.date(), now.time()
    # Closed days depend on the facility only: worked out once per day, not once per room and unit.
    facility = rooms[0].facility
    if any(room.facility_id != facility.pk for room in rooms):
        raise ValueError("calendars() takes rooms of one facility (closed days are the facility's)")
    span = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    closed_on = [closed_reason(facility, day) for day in span]
    result = []
    for room in rooms:
        room_id, bookable = room.pk, room.is_bookable
        slots = tuple(columns.get(room_id, ()))
        rows = []
        parts = [f"{room_id}|{room.public_id}|{room.name}|{room.name_en}"]
        parts.extend([f"{s.pk},{s.label},{s.label_en},{s.starts_at},{s.ends_at}" for s in slots])
        for day, closed in zip(span, closed_on, strict=True):
            statuses: tuple[str, ...]
            if closed:
                statuses = (CLOSED,) * len(slots)
            elif day < today:
                statuses = (PAST,) * len(slots)
            else:
                # A list comprehension, not a generator: this runs for every cell of every room.
                statuses = tuple(
                    [
                        PAST
                        if day == today and slot.starts_at <= time_now
                        else CLOSED
                        if not bookable
                        else status_of.get((room_id, day, slot.pk), FREE)
                        for slot in slots
                    ]
                )
            rows.append(DayRow(day, closed, slots, statuses))
            parts.append(f"{day}|{closed or ''}|{','.join(statuses)}")
        result.append(RoomCalendar(room=room, slots=slots, days=tuple(rows), fingerprint="\n".join(parts)))
    return result


def rendered_tables(template_name: str, items: list[tuple[RoomCalendar, dict[str, Any]]]) -> list[SafeString]:
    """The HTML of one calendar table per (calendar, extra context): from the cache when a table with exactly
    that content was rendered before, else rendered now and stored. The extra context must hold only what
    the table shows (links, captions): it is part of the key."""
    language = get_language() or ""
    keys = []
    for cal, extra in items:
        described = "\n".join(
            [template_name, language, *(f"{name}={extra[name]}" for name in sorted(extra)), cal.fingerprint]
        )
        keys.append("madoguchi:facilities:calendar:" + hashlib.sha256(described.encode()).hexdigest())
    found = cache.get_many(keys)
    missing: dict[str, str] = {}
    tables = []
    for key, (cal, extra) in zip(keys, items, strict=True):
        html = found.get(key)
        if html is None:
            html = missing[key] = render_to_string(template_name, {"calendar": cal, **extra})
        # Our own template's output, escaped when it was rendered.
        tables.append(mark_safe(html))  # noqa: S308
    if missing:
        cache.set_many(missing, RENDERED_TABLE_SECONDS)
    return tables
