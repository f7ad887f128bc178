"""Month availability costs the same number of queries whatever is booked (the benchmark relies on it)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import selectors
from madoguchi.facilities.services import booking_create

from .conftest import make_registration, make_room, next_open_day


def _count(func):
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_month_availability_query_count_is_constant(facilities_a, facility_a, room_a, slots_a, registration_a):
    make_room(facility_a, name="第2会議室")
    with municipality_scope(facilities_a):
        start = next_open_day()
        before_room = _count(lambda: selectors.room_month(room_a, start.year, start.month))
        before_facility = _count(lambda: selectors.facility_month(facility_a, start.year, start.month))
        day = start
        for _ in range(8):
            booking_create(
                municipality=facilities_a,
                room=room_a,
                date=day,
                slots=slots_a,
                registration=make_registration(facilities_a),
                actor=None,
                request=None,
            )
            day = next_open_day(day, offset=1)
        after_room = _count(lambda: selectors.room_month(room_a, start.year, start.month))
        after_facility = _count(lambda: selectors.facility_month(facility_a, start.year, start.month))
    assert before_room == after_room <= 2
    assert before_facility == after_facility <= 3
    assert isinstance(start, datetime.date)
