"""Public pages, the booking journey, マイページ and the iCal feeds, through the HTTP client."""

import re

import pytest
from django.test import Client

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.models import Booking, BookingStatus, Registration, RegistrationStatus

from ..factories import make_user
from .conftest import make_facility, make_registration, make_room


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    return client


def test_list_and_filters_work_without_login(facilities_a, room_a, open_day):
    gym = make_facility(facilities_a, slug="gym", name="体育館", name_kana="タイイクカン", kind="gym")
    make_room(gym, name="アリーナ", capacity=300)
    client = _client()
    page = client.get("/city-a/facilities/")
    assert page.status_code == 200 and "中央公民館" in page.content.decode() and "体育館" in page.content.decode()
    by_kind = client.get("/city-a/facilities/", {"kind": "gym"}).content.decode()
    assert "体育館" in by_kind and "中央公民館" not in by_kind
    by_capacity = client.get("/city-a/facilities/", {"capacity": "100"}).content.decode()
    assert "体育館" in by_capacity and "中央公民館" not in by_capacity
    by_date = client.get("/city-a/facilities/", {"date": open_day.isoformat()}).content.decode()
    assert "中央公民館" in by_date


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"capacity": "abc"}, "利用人数は半角数字で入力してください。"),
        ({"capacity": "9" * 30}, "利用人数は100000以下にしてください。"),
        ({"date": "令和99年13月40日"}, None),
        ({"kind": "<script>"}, None),
    ],
)
def test_bad_filters_are_reported_at_the_field_and_kept(facilities_a, room_a, params, message):
    page = _client().get("/city-a/facilities/", params)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'aria-invalid="true"' in body
    if message:
        assert message in body
    assert "<script>" not in body.split("<main", 1)[1].split("</main>", 1)[0].replace("&lt;script&gt;", "")


def test_facility_page_has_a_map_with_a_text_alternative_and_the_csp_allows_only_the_tile_host(facility_a, room_a):
    page = _client().get("/city-a/facilities/kominkan/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-tiles="https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"' in body
    assert "出典：国土地理院" in body
    assert "富山県甲市本町1-1" in body and "maps.gsi.go.jp" in body
    assert "/static/leaflet/leaflet.js" in body and "<script>" not in body
    csp = page["Content-Security-Policy"]
    assert "img-src 'self' data: https://cyberjapandata.gsi.go.jp;" in csp
    assert "script-src 'self';" in csp


def test_calendars_show_status_as_text_in_real_tables(facilities_a, room_a, slots_a, registration_a, open_day):
    from madoguchi.facilities.services import booking_create

    with municipality_scope(facilities_a):
        booking_create(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[0]],
            registration=registration_a,
            actor=None,
            request=None,
        )
    client = _client()
    month = client.get(f"/city-a/facilities/rooms/{room_a.public_id}/", {"month": open_day.strftime("%Y-%m")})
    body = month.content.decode()
    assert month.status_code == 200
    assert '<th scope="row">' in body and '<th scope="col">' in body and "<caption>" in body
    assert "予約済み" in body and "空き" in body
    week = client.get(f"/city-a/facilities/rooms/{room_a.public_id}/", {"view": "week", "start": open_day.isoformat()})
    week_body = week.content.decode()
    assert week.status_code == 200 and "予約済み" in week_body
    # The first cell of the week is the booked morning unit.
    first_row = week_body.split('<th scope="row">', 1)[1].split("</tr>", 1)[0]
    assert "予約済み" in first_row


@pytest.mark.parametrize("room_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "'; DROP TABLE x;--"])
def test_unknown_and_malformed_room_ids_are_404(facilities_a, room_a, room_id):
    assert _client().get(f"/city-a/facilities/rooms/{room_id}/").status_code == 404


def test_another_municipalitys_room_is_404(facilities_a, city_b):
    from ..factories import enable_module

    enable_module(city_b, "facilities")
    other = make_room(make_facility(city_b, slug="other"))
    assert _client().get(f"/city-a/facilities/rooms/{other.public_id}/").status_code == 404
    assert _client().get(f"/city-b/facilities/rooms/{other.public_id}/").status_code == 200


def test_module_switched_off_is_404(city_a):
    assert _client().get("/city-a/facilities/").status_code == 404


def test_availability_is_rate_limited_with_retry_after(facilities_a, room_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "facility_availability": (3, 60)}
    client = _client()
    statuses = [client.get(f"/city-a/facilities/rooms/{room_a.public_id}/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    busy = client.get(f"/city-a/facilities/rooms/{room_a.public_id}/")
    assert busy["Retry-After"] == "60" and "混み合っています" in busy.content.decode()


def _token(body):
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


def _booking_post(room, registration, day, slot, token, **extra):
    return {
        "token": token,
        "date": day.isoformat(),
        "slots": [str(slot.pk)],
        "registration": str(registration.pk),
        "attendees": "5",
        "purpose": "練習",
        **extra,
    }


def test_booking_journey_shows_the_total_then_books_once(facilities_a, room_a, slots_a, registration_a, open_day):
    client = _client(registration_a.user)
    url = f"/city-a/facilities/rooms/{room_a.public_id}/book/"
    form = client.get(url, {"date": open_day.isoformat(), "slot": slots_a[1].pk})
    assert form.status_code == 200
    token = _token(form.content.decode())
    data = _booking_post(room_a, registration_a, open_day, slots_a[1], token)
    check = client.post(url, data)
    assert (
        check.status_code == 200
        and "1,500円" in check.content.decode()
        and "この内容で予約する" in check.content.decode()
    )
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    replay = client.post(url, {**data, "confirm": "1"})
    assert replay.status_code == 302 and replay["Location"] == done["Location"]
    with municipality_scope(facilities_a):
        assert Booking.objects.filter(registration=registration_a).count() == 1
    detail = client.get(done["Location"]).content.decode()
    assert "仮予約" in detail and "1,500円" in detail


def test_losing_the_race_in_the_browser_says_taken_and_offers_alternatives(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    from madoguchi.facilities.services import booking_create

    rival = make_registration(facilities_a)
    with municipality_scope(facilities_a):
        booking_create(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[0]],
            registration=rival,
            actor=None,
            request=None,
        )
    client = _client(registration_a.user)
    url = f"/city-a/facilities/rooms/{room_a.public_id}/book/"
    token = _token(client.get(url).content.decode())
    response = client.post(url, {**_booking_post(room_a, registration_a, open_day, slots_a[0], token), "confirm": "1"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "この枠は先に予約されました。" in body
    assert f"slot={slots_a[1].pk}" in body  # the afternoon of the same day is offered
    assert 'value="練習"' in body  # what the resident typed is kept


def test_booking_needs_an_approved_registration(facilities_a, room_a):
    user = make_user()
    make_registration(facilities_a, user, status=RegistrationStatus.PENDING)
    page = _client(user).get(f"/city-a/facilities/rooms/{room_a.public_id}/book/")
    assert page.status_code == 200 and "利用者登録" in page.content.decode() and "審査中" in page.content.decode()


def test_booking_with_another_users_registration_is_refused_at_the_field(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    intruder = make_user()
    make_registration(facilities_a, intruder)
    client = _client(intruder)
    url = f"/city-a/facilities/rooms/{room_a.public_id}/book/"
    token = _token(client.get(url).content.decode())
    response = client.post(url, {**_booking_post(room_a, registration_a, open_day, slots_a[0], token), "confirm": "1"})
    assert response.status_code == 200 and "この名義では予約できません。" in response.content.decode()
    with municipality_scope(facilities_a):
        assert not Booking.objects.exists()


def test_mine_shows_the_qr_code_once_confirmed_and_cancels_with_a_refund(facilities_a, room_a, slots_a, registration_a):
    from madoguchi.facilities.services import booking_create, booking_mark_paid

    from .conftest import next_open_day

    day = next_open_day(offset=10)
    with municipality_scope(facilities_a):
        booking = booking_create(
            municipality=facilities_a,
            room=room_a,
            date=day,
            slots=[slots_a[0]],
            registration=registration_a,
            actor=None,
            request=None,
        )
        booking_mark_paid(booking, reference="gw-1")
    client = _client(registration_a.user)
    page = client.get(f"/city-a/facilities/mine/bookings/{booking.public_id}/").content.decode()
    assert "<svg" in page and "受付用QRコード" in page and "1,000円" in page
    assert client.get("/city-a/facilities/mine/").status_code == 200
    cancelled = client.post(f"/city-a/facilities/mine/bookings/{booking.public_id}/cancel/", follow=True)
    assert "返金額は1,000円です。" in cancelled.content.decode()
    with municipality_scope(facilities_a):
        booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.refund_amount == 1000
    # Someone else cannot see or cancel it.
    stranger = _client(make_user())
    assert stranger.get(f"/city-a/facilities/mine/bookings/{booking.public_id}/").status_code == 404
    assert stranger.post(f"/city-a/facilities/mine/bookings/{booking.public_id}/cancel/").status_code == 404


def test_registration_form_creates_a_pending_group_and_refuses_the_same_group_twice(facilities_a):
    user = make_user()
    data = {
        "kind": "group",
        "name": "甲市バレーボールクラブ",
        "name_kana": "コウシバレーボールクラブ",
        "representative": "山田 花子",
        "members_count": "12",
        "resident_members_count": "10",
        "phone": "0763-00-0000",
        "address": "甲市本町1-1",
    }
    response = _client(user).post("/city-a/facilities/register/", data)
    assert response.status_code == 302
    with municipality_scope(facilities_a):
        registration = Registration.objects.get(user=user)
    assert registration.status == RegistrationStatus.PENDING and registration.is_resident
    # The same group again, typed with full-width spaces and different case, by someone else.
    again = _client(make_user()).post("/city-a/facilities/register/", {**data, "name": "甲市バレーボール　クラブ"})
    assert again.status_code == 200 and "団体の登録は1団体につき1件です。" in again.content.decode()
    too_many = _client(make_user()).post(
        "/city-a/facilities/register/", {**data, "name": "別の団体", "resident_members_count": "13"}
    )
    assert "構成員数以下" in too_many.content.decode()


def test_public_ical_feed_shows_busy_units_without_names(facilities_a, room_a, slots_a, registration_a, open_day):
    from madoguchi.facilities.services import booking_create

    with municipality_scope(facilities_a):
        booking_create(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[1]],
            registration=registration_a,
            actor=None,
            request=None,
        )
    feed = _client().get(f"/city-a/facilities/rooms/{room_a.public_id}/availability.ics")
    text = feed.content.decode()
    assert feed["Content-Type"].startswith("text/calendar")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.count("BEGIN:VEVENT") == 1
    assert registration_a.name not in text and "予約済み" in text


def test_private_ical_feed_needs_its_token_and_a_new_token_retires_the_old(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    from madoguchi.facilities.services import booking_create

    with municipality_scope(facilities_a):
        booking_create(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[1]],
            registration=registration_a,
            actor=None,
            request=None,
        )
    old = registration_a.ical_token
    feed = _client().get(f"/city-a/facilities/calendar/{old}.ics")
    assert feed.status_code == 200 and "中央公民館" in feed.content.decode()
    assert _client().get("/city-a/facilities/calendar/guess.ics").status_code == 404
    _client(registration_a.user).post(f"/city-a/facilities/mine/calendar/{registration_a.public_id}/regenerate/")
    assert _client().get(f"/city-a/facilities/calendar/{old}.ics").status_code == 404


def test_pages_read_in_english(facilities_a, room_a, open_day):
    client = _client()
    detail = client.get("/city-a/facilities/kominkan/?lang=en").content.decode()
    assert "Central Community Centre" in detail and "Rooms, areas and fees" in detail and "Mon" in detail
    calendar = client.get(f"/city-a/facilities/rooms/{room_a.public_id}/?month={open_day:%Y-%m}").content.decode()
    assert "Availability of" in calendar and "Free" in calendar and "Morning" in calendar
