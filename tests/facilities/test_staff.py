"""Back office: permissions (counter vs manage), registrations, 窓口払い, the day's list with print and CSV,
booking on behalf, blocking, check-in, catalogue edits; another municipality's staff get 404."""

import pytest

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.models import Booking, BookingStatus, Facility, RegistrationStatus, TimeSlot
from madoguchi.facilities.services import booking_create

from ..factories import make_staff, staff_client
from .conftest import make_registration


@pytest.fixture
def admin_a(facilities_a):
    return staff_client(make_staff(facilities_a, Role.MUNICIPALITY_ADMIN))


@pytest.fixture
def counter_a(facilities_a):
    return staff_client(make_staff(facilities_a, Role.COUNTER_STAFF))


@pytest.fixture
def booking_a(facilities_a, room_a, slots_a, registration_a, open_day):
    with municipality_scope(facilities_a):
        return booking_create(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[0]],
            registration=registration_a,
            actor=None,
            request=None,
            purpose="=HYPERLINK(1)",
        )


def test_counter_staff_record_a_counter_payment_and_see_the_day(counter_a, booking_a, facility_a, open_day):
    assert counter_a.get("/city-a/staff/facilities/").status_code == 200
    response = counter_a.post(
        f"/city-a/staff/facilities/bookings/{booking_a.public_id}/action/", {"action": "pay_counter"}
    )
    assert response.status_code == 302
    with municipality_scope(booking_a.municipality):
        booking_a.refresh_from_db()
    assert booking_a.status == BookingStatus.CONFIRMED and booking_a.payment_method == "counter"
    day = counter_a.get(f"/city-a/staff/facilities/{facility_a.public_id}/day/", {"date": open_day.isoformat()})
    assert day.status_code == 200 and booking_a.number in day.content.decode()
    printable = counter_a.get(
        f"/city-a/staff/facilities/{facility_a.public_id}/day/", {"date": open_day.isoformat(), "print": "1"}
    )
    assert printable.status_code == 200 and "staff-nav" not in printable.content.decode()
    csv = counter_a.get(f"/city-a/staff/facilities/{facility_a.public_id}/day.csv", {"date": open_day.isoformat()})
    text = b"".join(csv.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and booking_a.number in text
    assert "'=HYPERLINK(1)" in text  # formula injection neutralised
    with municipality_scope(booking_a.municipality):
        assert AuditEvent.objects.filter(action="facilities.day_exported").exists()
        assert AuditEvent.objects.filter(action="personal_data.view", object_type="facility_day").exists()


def test_counter_staff_cannot_manage_the_catalogue_or_registrations(counter_a, facility_a, registration_a):
    assert counter_a.get("/city-a/staff/facilities/new/").status_code == 403
    assert counter_a.get("/city-a/staff/facilities/registrations/").status_code == 403
    response = counter_a.post(
        f"/city-a/staff/facilities/registrations/{registration_a.public_id}/decide/", {"action": "suspend"}
    )
    assert response.status_code == 403


def test_admin_approves_and_suspends_registrations(admin_a, facilities_a):
    pending = make_registration(facilities_a, status=RegistrationStatus.PENDING)
    url = f"/city-a/staff/facilities/registrations/{pending.public_id}/decide/"
    assert admin_a.post(url, {"action": "approve"}).status_code == 302
    with municipality_scope(facilities_a):
        pending.refresh_from_db()
    assert pending.status == RegistrationStatus.APPROVED
    admin_a.post(url, {"action": "suspend", "note": "規約違反"})
    with municipality_scope(facilities_a):
        pending.refresh_from_db()
    assert pending.status == RegistrationStatus.SUSPENDED and pending.status_note == "規約違反"
    listing = admin_a.get("/city-a/staff/facilities/registrations/", {"status": "suspended"})
    assert pending.name in listing.content.decode()


def test_admin_approves_a_reduction(admin_a, facilities_a, room_a, slots_a, registration_a, open_day, reductions_a):
    with municipality_scope(facilities_a):
        booking = booking_create(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[0]],
            registration=registration_a,
            actor=None,
            request=None,
            reduction=reductions_a[50],
            reduction_reason="社会教育",
        )
    assert booking.number in admin_a.get("/city-a/staff/facilities/").content.decode()
    admin_a.post(f"/city-a/staff/facilities/bookings/{booking.public_id}/action/", {"action": "approve_reduction"})
    with municipality_scope(facilities_a):
        booking.refresh_from_db()
    assert booking.reduction_status == "approved" and booking.fee_total == 500


def test_staff_book_on_behalf_of_a_phone_caller_and_block_a_unit(
    admin_a, facilities_a, room_a, slots_a, registration_a, open_day
):
    url = f"/city-a/staff/facilities/rooms/{room_a.public_id}/book/"
    page = admin_a.get(url, {"q": registration_a.name})
    assert page.status_code == 200 and registration_a.name in page.content.decode()
    import re

    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    response = admin_a.post(
        url,
        {
            "token": token,
            "registration": str(registration_a.pk),
            "channel": "phone",
            "date": open_day.isoformat(),
            "slots": [str(slots_a[1].pk)],
            "attendees": "3",
            "purpose": "会議",
        },
    )
    assert response.status_code == 302
    with municipality_scope(facilities_a):
        booking = Booking.objects.get(registration=registration_a)
    assert booking.channel == "phone"
    blocked = admin_a.post(
        f"/city-a/staff/facilities/rooms/{room_a.public_id}/block/",
        {
            "date": open_day.isoformat(),
            "slots": [str(slots_a[2].pk)],
            "note": "設備点検",
        },
    )
    assert blocked.status_code == 302
    taken = admin_a.post(
        f"/city-a/staff/facilities/rooms/{room_a.public_id}/block/",
        {
            "date": open_day.isoformat(),
            "slots": [str(slots_a[1].pk)],
            "note": "設備点検",
        },
    )
    assert taken.status_code == 200 and "この枠は先に予約されました。" in taken.content.decode()


def test_check_in_from_the_qr_code(admin_a, booking_a, facilities_a):
    from django.utils import timezone

    with municipality_scope(facilities_a):
        Booking.objects.filter(pk=booking_a.pk).update(date=timezone.localdate())
        booking_a.refresh_from_db()
    scanned = admin_a.get(f"/city-a/staff/facilities/checkin/{booking_a.checkin_token}/")
    assert scanned.status_code == 302 and str(booking_a.public_id) in scanned["Location"]
    admin_a.post(f"/city-a/staff/facilities/bookings/{booking_a.public_id}/action/", {"action": "pay_counter"})
    admin_a.post(f"/city-a/staff/facilities/bookings/{booking_a.public_id}/action/", {"action": "check_in"})
    with municipality_scope(facilities_a):
        booking_a.refresh_from_db()
    assert booking_a.checked_in_at is not None
    assert admin_a.get("/city-a/staff/facilities/checkin/wrong-token/").status_code == 404


def test_catalogue_edits_validate_and_refuse_overlapping_units(admin_a, facilities_a, facility_a, room_a):
    page = admin_a.post(
        f"/city-a/staff/facilities/rooms/{room_a.public_id}/units/new/",
        {
            "label": "昼",
            "label_en": "",
            "starts_at": "11:00",
            "ends_at": "14:00",
            "fee": "500",
            "is_active": "on",
        },
    )
    assert page.status_code == 200 and "他の区分と時間が重なっています" in page.content.decode()
    bad = admin_a.post(f"/city-a/staff/facilities/{facility_a.public_id}/edit/", {"refund_table": "abc"})
    assert (
        bad.status_code == 200 and "返金表は「日数:返金率」をカンマで区切って入力してください" in bad.content.decode()
    )
    new = admin_a.post(
        "/city-a/staff/facilities/new/",
        {
            "slug": "new-hall",
            "name": "新ホール",
            "name_kana": "シンホール",
            "kind": "hall",
            "address_prefecture": "富山県",
            "address_city": "甲市",
            "open_weekdays": "0123456",
            "opens_at": "09:00",
            "closes_at": "21:00",
            "nonresident_multiplier": "1.5",
            "commercial_multiplier": "2",
            "refund_table": "7:100,0:0",
            "booking_window_days": "60",
            "is_published": "on",
            "online_booking": "on",
        },
    )
    assert new.status_code == 302
    with municipality_scope(facilities_a):
        assert Facility.objects.filter(slug="new-hall").exists()
        assert not TimeSlot.objects.filter(label="昼").exists()


def test_other_municipalitys_staff_get_404(facilities_a, city_b, facility_a, booking_a):
    other = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert other.get("/city-a/staff/facilities/").status_code == 404
    from ..factories import enable_module

    enable_module(city_b, "facilities")
    assert other.get(f"/city-b/staff/facilities/bookings/{booking_a.public_id}/").status_code == 404
    assert other.get(f"/city-b/staff/facilities/{facility_a.public_id}/day/").status_code == 404


def test_a_facility_slug_cannot_take_a_path_the_urls_use(admin_a):
    response = admin_a.post("/city-a/staff/facilities/new/", {"slug": "mine", "name": "x"})
    assert response.status_code == 200
    assert "この識別名はシステムで使っているため使えません。" in response.content.decode()
