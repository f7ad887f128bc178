"""Month and week availability: a fixed number of queries whatever is booked, rendered tables reused only while
what they show is unchanged, and every write that changes a unit (booking, cancellation, staff block, an expired
仮予約, lottery holds and their release) visible on the next request of the HTML pages and the API."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import services
from madoguchi.facilities.api import AvailabilityOut
from madoguchi.facilities.models import Booking, BookingStatus, Room

from ..factories import enable_module
from .conftest import make_facility, make_registration, make_room, next_open_day

MONTH_TABLE = "facilities/_month_table.html"
WEEK_TABLE = "facilities/_week_table.html"


def _month(room, day):
    return f"/city-a/facilities/rooms/{room.public_id}/?month={day:%Y-%m}"


def _week(room, day):
    return f"/city-a/facilities/rooms/{room.public_id}/?view=week&start={day.isoformat()}"


def _facility_month(facility, day):
    return f"/city-a/facilities/{facility.slug}/availability/?month={day:%Y-%m}"


def _api(room, day):
    return f"/api/v1/municipalities/city-a/facilities/rooms/{room.public_id}/availability?month={day:%Y-%m}"


def _free_link(room, day, slot):
    return f"/city-a/facilities/rooms/{room.public_id}/book/?date={day.isoformat()}&amp;slot={slot.pk}"


def _api_status(room, day, slot):
    cells = Client().get(_api(room, day)).json()["cells"]
    [status] = [c["status"] for c in cells if c["date"] == day.isoformat() and c["slot"] == slot.pk]
    return status


def _row_of(body, day):
    """The month table's row of one day (its header holds the ISO date)."""
    return body.split(f"（{day.isoformat()}）", 1)[1].split("</tr>", 1)[0]


def _book(room, day, slots, registration=None, **extra):
    municipality = room.municipality
    with municipality_scope(municipality):
        return services.booking_create(
            municipality=municipality,
            room=room,
            date=day,
            slots=slots,
            registration=registration or make_registration(municipality),
            actor=None,
            request=None,
            **extra,
        )


def _queries(path):
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


# --- Query budget ------------------------------------------------------------------------------------------


def test_pages_and_api_cost_the_same_queries_empty_full_and_cached(facilities_a, facility_a, room_a, slots_a):
    make_room(facility_a, name="第2会議室")
    start = next_open_day()
    paths = [_month(room_a, start), _week(room_a, start), _facility_month(facility_a, start), _api(room_a, start)]
    Client().get("/city-a/facilities/")  # the host name lookup is cached from the first request on
    empty = [_queries(path) for path in paths]
    day = start
    for _ in range(10):
        _book(room_a, day, slots_a)
        day = next_open_day(day, offset=1)
    full = [_queries(path) for path in paths]  # content changed: every table rendered again
    cached = [_queries(path) for path in paths]  # unchanged: every table from the cache
    assert empty == full == cached
    # Tenancy (municipality, modules), the rate limit (one upsert per key in core.RateCounter), the room or
    # facility (+ its rooms), units, booked units: nothing per day, unit or booking.
    assert all(count <= 7 for count in full), full


# --- Rendered tables are reused only for the same content --------------------------------------------------


def test_an_unchanged_month_is_not_rendered_again_and_a_changed_one_is(facilities_a, room_a, slots_a, open_day):
    client = Client()
    first = client.get(_month(room_a, open_day))
    assert MONTH_TABLE in [t.name for t in first.templates]
    again = client.get(_month(room_a, open_day))
    assert MONTH_TABLE not in [t.name for t in again.templates]
    assert again.content == first.content
    _book(room_a, open_day, [slots_a[1]])
    changed = client.get(_month(room_a, open_day))
    assert MONTH_TABLE in [t.name for t in changed.templates]
    assert "予約済み" in _row_of(changed.content.decode(), open_day)


def test_each_language_has_its_own_rendering(facilities_a, room_a, slots_a, open_day):
    client = Client()
    japanese = client.get(_month(room_a, open_day)).content.decode()
    english = client.get(_month(room_a, open_day) + "&lang=en").content.decode()
    assert "空き" in japanese and "Morning" not in japanese
    assert "Morning" in english and "Free" in english and "予約済み" not in english


def test_the_table_keeps_its_headers_and_text_statuses(facilities_a, room_a, slots_a, open_day):
    with municipality_scope(facilities_a):
        services.booking_block(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[2]],
            actor=None,
            note="点検",
            request=None,
        )
    _book(room_a, open_day, [slots_a[0]])
    body = Client().get(_month(room_a, open_day)).content.decode()
    row = _row_of(body, open_day)
    assert body.count('<th scope="col">') == 4 and "<caption>" in body
    assert "予約済み" in row and "利用不可" in row and _free_link(room_a, open_day, slots_a[1]) in row
    assert "午後 予約する</span>" in row  # the free link says, to a screen reader, which day and unit it books
    week = Client().get(_week(room_a, open_day)).content.decode()
    morning = week.split('<th scope="row">', 1)[1].split("</tr>", 1)[0]
    assert morning.startswith("午前") and "予約済み" in morning


# --- Every write shows at once -----------------------------------------------------------------------------


def test_a_booking_shows_at_once_on_every_view(facilities_a, facility_a, room_a, slots_a, open_day):
    client = Client()
    views = [_month(room_a, open_day), _week(room_a, open_day), _facility_month(facility_a, open_day)]
    for path in views:  # rendered and cached while free
        assert _free_link(room_a, open_day, slots_a[0]) in client.get(path).content.decode()
    assert _api_status(room_a, open_day, slots_a[0]) == "free"
    _book(room_a, open_day, [slots_a[0]])
    for path in views:
        assert _free_link(room_a, open_day, slots_a[0]) not in client.get(path).content.decode(), path
    assert _api_status(room_a, open_day, slots_a[0]) == "taken"


def test_a_cancellation_frees_the_unit_at_once(facilities_a, room_a, slots_a, open_day):
    booking = _book(room_a, open_day, [slots_a[0]])
    client = Client()
    assert _free_link(room_a, open_day, slots_a[0]) not in client.get(_month(room_a, open_day)).content.decode()
    assert _api_status(room_a, open_day, slots_a[0]) == "taken"
    with municipality_scope(facilities_a):
        services.booking_cancel(booking, actor=None, request=None)
    assert _free_link(room_a, open_day, slots_a[0]) in client.get(_month(room_a, open_day)).content.decode()
    assert _api_status(room_a, open_day, slots_a[0]) == "free"


def test_a_staff_block_shows_at_once(facilities_a, room_a, slots_a, open_day):
    client = Client()
    assert _free_link(room_a, open_day, slots_a[1]) in client.get(_week(room_a, open_day)).content.decode()
    with municipality_scope(facilities_a):
        services.booking_block(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[1]],
            actor=None,
            note="点検",
            request=None,
        )
    week = client.get(_week(room_a, open_day)).content.decode()
    assert _free_link(room_a, open_day, slots_a[1]) not in week and "利用不可" in week
    assert _api_status(room_a, open_day, slots_a[1]) == "blocked"


def test_an_overdue_provisional_booking_shows_free_before_and_after_the_expiry_task(
    facilities_a, room_a, slots_a, open_day
):
    booking = _book(room_a, open_day, [slots_a[0]], payment_due_at=timezone.now() + datetime.timedelta(hours=2))
    assert booking.status == BookingStatus.PROVISIONAL
    client = Client()
    assert _free_link(room_a, open_day, slots_a[0]) not in client.get(_month(room_a, open_day)).content.decode()
    assert _api_status(room_a, open_day, slots_a[0]) == "taken"
    # Time passes the payment deadline: no write happens, yet the unit is free again on the next request.
    with municipality_scope(facilities_a):
        Booking.objects.filter(pk=booking.pk).update(payment_due_at=timezone.now() - datetime.timedelta(minutes=1))
    assert _free_link(room_a, open_day, slots_a[0]) in client.get(_month(room_a, open_day)).content.decode()
    assert _api_status(room_a, open_day, slots_a[0]) == "free"
    with municipality_scope(facilities_a):
        assert services.bookings_expire(municipality=facilities_a) == 1
    assert _free_link(room_a, open_day, slots_a[0]) in client.get(_month(room_a, open_day)).content.decode()
    assert _api_status(room_a, open_day, slots_a[0]) == "free"


def test_a_paid_provisional_booking_stays_taken_past_its_old_deadline(facilities_a, room_a, slots_a, open_day):
    booking = _book(room_a, open_day, [slots_a[0]], payment_due_at=timezone.now() + datetime.timedelta(hours=2))
    assert _api_status(room_a, open_day, slots_a[0]) == "taken"
    with municipality_scope(facilities_a):
        services.booking_record_counter_payment(booking, actor=None, request=None)
    assert _api_status(room_a, open_day, slots_a[0]) == "taken"
    assert _free_link(room_a, open_day, slots_a[0]) not in Client().get(_month(room_a, open_day)).content.decode()


def test_lottery_holds_show_as_blocked_and_their_release_frees_or_books_the_units(facilities_a, facility_a, room_a):
    from ..lottery.conftest import close_and_draw, enter, make_round, offers_of

    enable_module(facilities_a, "lottery")
    with municipality_scope(facilities_a):
        slots = list(room_a.slots.order_by("starts_at"))
    lottery = make_round(facility_a, [room_a], open_it=False, days=2)
    day = lottery.use_from
    client = Client()
    assert _free_link(room_a, day, slots[0]) in client.get(_month(room_a, day)).content.decode()
    assert _api_status(room_a, day, slots[0]) == "free"
    with municipality_scope(facilities_a):
        from madoguchi.lottery import services as lottery_services

        lottery = lottery_services.round_open(lottery=lottery, actor=None, request=None)
    held = client.get(_month(room_a, day)).content.decode()
    assert _free_link(room_a, day, slots[0]) not in held and "利用不可" in _row_of(held, day)
    assert _api_status(room_a, day, slots[0]) == "blocked"
    wanted = next(o for o in offers_of(lottery) if o.date == day and o.slot_id == slots[0].pk)
    enter(lottery, make_registration(facilities_a), [wanted])
    close_and_draw(lottery)
    # The winner's unit is now a 仮予約; every other unit the round held is free again.
    assert _api_status(room_a, day, slots[0]) == "taken"
    assert _api_status(room_a, day, slots[1]) == "free"
    released = client.get(_month(room_a, day)).content.decode()
    assert _free_link(room_a, day, slots[0]) not in released
    assert _free_link(room_a, day, slots[1]) in released


# --- The all-rooms month page ------------------------------------------------------------------------------


def test_the_facility_month_has_one_table_per_bookable_room(facilities_a, facility_a, room_a, slots_a, open_day):
    hall = make_room(facility_a, name="ホール")
    closed = make_room(facility_a, name="倉庫")
    with municipality_scope(facilities_a):
        Room.objects.filter(pk=closed.pk).update(is_bookable=False)
        hall_morning = hall.slots.order_by("starts_at").first()
    _book(hall, open_day, [hall_morning])
    page = Client().get(_facility_month(facility_a, open_day))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("<caption>") == 2 and "倉庫" not in body
    assert f"第1会議室 {open_day:%Y-%m} の空き状況" in body and f"ホール {open_day:%Y-%m} の空き状況" in body
    assert _free_link(room_a, open_day, slots_a[0]) in body
    assert _free_link(hall, open_day, hall_morning) not in body
    detail = Client().get(f"/city-a/facilities/{facility_a.slug}/").content.decode()
    assert f'href="/city-a/facilities/{facility_a.slug}/availability/"' in detail


def test_the_facility_month_says_when_online_booking_is_off(facilities_a, room_a, open_day):
    make_facility(facilities_a, slug="phone-only", name="電話予約の館", online_booking=False)
    body = Client().get("/city-a/facilities/phone-only/availability/").content.decode()
    assert "この施設はオンライン予約を受け付けていません。" in body and "<caption>" not in body
    english = Client().get("/city-a/facilities/phone-only/availability/?lang=en").content.decode()
    assert "This facility does not take bookings online." in english


def test_the_facility_month_of_another_municipality_or_an_unpublished_one_is_404(facilities_a, city_b):
    enable_module(city_b, "facilities")
    make_room(make_facility(city_b, slug="other"))
    make_facility(facilities_a, slug="hidden", is_published=False)
    assert Client().get("/city-a/facilities/other/availability/").status_code == 404
    assert Client().get("/city-b/facilities/other/availability/").status_code == 200
    assert Client().get("/city-a/facilities/hidden/availability/").status_code == 404


# --- Hostile input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["1999-12", "2101-01", "2026-13", "abc", "2026-", "9" * 40])
def test_unusable_months_show_this_month(facilities_a, facility_a, room_a, month):
    this_month = f"{timezone.localdate():%Y-%m}"
    for path in (
        f"/city-a/facilities/rooms/{room_a.public_id}/",
        f"/city-a/facilities/{facility_a.slug}/availability/",
    ):
        page = Client().get(path, {"month": month})
        assert page.status_code == 200 and f"{this_month} の空き状況" in page.content.decode()


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "1999-12-31", "2026-02-30", "<b>", "1" * 200])
def test_unusable_week_starts_show_this_week(facilities_a, room_a, start):
    page = Client().get(f"/city-a/facilities/rooms/{room_a.public_id}/", {"view": "week", "start": start})
    assert page.status_code == 200
    today = timezone.localdate()
    assert f"{today:%-m/%-d}（" in page.content.decode()


def test_the_api_answers_in_its_schema(facilities_a, room_a, slots_a, open_day):
    _book(room_a, open_day, [slots_a[0]])
    response = Client().get(_api(room_a, open_day))
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    parsed = AvailabilityOut.model_validate(body)
    assert parsed.model_dump(mode="json") == body
    assert body["room"] == str(room_a.public_id) and body["month"] == f"{open_day:%Y-%m}"
    first, last = open_day.replace(day=1), (open_day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    assert len(body["cells"]) == 3 * (last - first).days
    assert {c["status"] for c in body["cells"]} <= {"free", "taken", "blocked", "closed", "past"}
