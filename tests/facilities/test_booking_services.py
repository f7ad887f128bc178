"""Booking rules: fees, 減免, deadlines and expiry, cancellation refunds, no-show suspension, blocking, moving."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import services
from madoguchi.facilities.models import BookedUnit, Booking, BookingStatus, RegistrationStatus, TimeSlot

from .conftest import make_registration, next_open_day


def _book(city, room, day, slots, registration, **kwargs):
    with municipality_scope(city):
        return services.booking_create(
            municipality=city,
            room=room,
            date=day,
            slots=slots,
            registration=registration,
            actor=registration.user,
            request=None,
            purpose="練習",
            **kwargs,
        )


def test_booking_is_provisional_with_a_deadline_and_audited(facilities_a, room_a, slots_a, registration_a, open_day):
    booking = _book(facilities_a, room_a, open_day, slots_a[:2], registration_a)
    assert booking.status == BookingStatus.PROVISIONAL
    assert booking.fee_total == 2500
    assert booking.payment_due_at is not None and booking.payment_due_at <= timezone.now() + datetime.timedelta(
        hours=72
    )
    with municipality_scope(facilities_a):
        assert BookedUnit.objects.filter(booking=booking, is_active=True).count() == 2
        assert AuditEvent.objects.filter(action="facilities.booking_created", object_id=str(booking.public_id)).exists()


def test_fees_multiply_for_non_residents_and_commercial_use_and_add_equipment(
    facilities_a, room_a, slots_a, open_day, piano_a
):
    outsider = make_registration(facilities_a, resident=False)
    booking = _book(facilities_a, room_a, open_day, [slots_a[0]], outsider, is_commercial=True, equipment=[piano_a])
    # 1000 × 1.5 (市外) × 2 (営利) = 3000, plus the piano 500.
    assert (booking.fee_room, booking.fee_reduction, booking.fee_equipment, booking.fee_total) == (3000, 0, 500, 3500)


def test_reduction_needing_approval_waits_then_applies_to_the_room_fee_only(
    facilities_a, room_a, slots_a, registration_a, open_day, reductions_a, piano_a
):
    booking = _book(
        facilities_a,
        room_a,
        open_day,
        [slots_a[1]],
        registration_a,
        reduction=reductions_a[50],
        reduction_reason="社会教育関係団体",
        equipment=[piano_a],
    )
    assert booking.reduction_status == "pending" and booking.fee_total == 2000
    with municipality_scope(facilities_a), pytest.raises(ServiceError) as refused:
        services.booking_mark_paid(booking, reference="pay-1")
    assert refused.value.code == "reduction_pending"
    with municipality_scope(facilities_a):
        booking = services.booking_reduction_decide(booking, approve=True, actor=None, request=None)
    assert (booking.fee_room, booking.fee_reduction, booking.fee_equipment, booking.fee_total) == (1500, 750, 500, 1250)


def test_full_exemption_confirms_without_payment(facilities_a, room_a, slots_a, registration_a, open_day, reductions_a):
    booking = _book(
        facilities_a,
        room_a,
        open_day,
        [slots_a[0]],
        registration_a,
        reduction=reductions_a[100],
        reduction_reason="市主催",
    )
    with municipality_scope(facilities_a):
        booking = services.booking_reduction_decide(booking, approve=True, actor=None, request=None)
    assert booking.status == BookingStatus.CONFIRMED and booking.fee_total == 0 and booking.payment_method == "free"


def test_reduction_is_refused_for_commercial_use(facilities_a, room_a, slots_a, registration_a, open_day, reductions_a):
    with pytest.raises(ServiceError) as refused:
        _book(
            facilities_a, room_a, open_day, [slots_a[0]], registration_a, reduction=reductions_a[30], is_commercial=True
        )
    assert refused.value.field == "reduction"


def test_payment_seam_confirms_once_and_is_idempotent_for_the_same_reference(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    booking = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with municipality_scope(facilities_a):
        request = services.booking_payment_request(booking)
        assert request["amount"] == 1000 and request["payable"] is True
        with pytest.raises(ServiceError) as wrong:
            services.booking_mark_paid(booking, reference="gw-1", amount=999)
        assert wrong.value.code == "amount_mismatch"
        paid = services.booking_mark_paid(booking, reference="gw-1", amount=1000)
        again = services.booking_mark_paid(booking, reference="gw-1", amount=1000)
        assert paid.status == again.status == BookingStatus.CONFIRMED
        assert (
            AuditEvent.objects.filter(action="facilities.booking_paid", object_id=str(booking.public_id)).count() == 1
        )
        with pytest.raises(ServiceError):
            services.booking_mark_paid(booking, reference="gw-2")


def test_unpaid_provisional_booking_expires_and_the_slot_returns(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    first = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with municipality_scope(facilities_a):
        assert (
            services.bookings_expire(
                municipality=facilities_a, now=first.payment_due_at + datetime.timedelta(seconds=1)
            )
            == 1
        )
        first.refresh_from_db()
        assert first.status == BookingStatus.EXPIRED
        with pytest.raises(ServiceError) as late:
            services.booking_mark_paid(first, reference="late")
        assert late.value.code == "not_payable"
    other = make_registration(facilities_a)
    second = _book(facilities_a, room_a, open_day, [slots_a[0]], other)
    assert second.status == BookingStatus.PROVISIONAL


def test_overdue_provisional_booking_is_expired_by_the_next_booking_of_its_unit(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    first = _book(facilities_a, room_a, open_day, [slots_a[2]], registration_a)
    later = first.payment_due_at + datetime.timedelta(minutes=1)
    other = make_registration(facilities_a)
    second = _book(
        facilities_a,
        room_a,
        open_day,
        [slots_a[2]],
        other,
        now=min(later, first.payment_due_at + datetime.timedelta(minutes=1)),
    )
    with municipality_scope(facilities_a):
        first.refresh_from_db()
    assert first.status == BookingStatus.EXPIRED and second.status == BookingStatus.PROVISIONAL


def test_expiry_task_runs_from_the_daily_maintenance(facilities_a, room_a, slots_a, registration_a, open_day):
    from madoguchi.core.maintenance import daily_maintenance

    booking = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with municipality_scope(facilities_a):
        Booking.objects.filter(pk=booking.pk).update(payment_due_at=timezone.now() - datetime.timedelta(minutes=1))
    daily_maintenance.call()
    with municipality_scope(facilities_a):
        booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED


def test_second_booking_of_a_taken_unit_is_refused_as_taken(facilities_a, room_a, slots_a, registration_a, open_day):
    _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with pytest.raises(services.SlotTaken) as taken:
        _book(facilities_a, room_a, open_day, [slots_a[0], slots_a[1]], make_registration(facilities_a))
    assert str(taken.value.message) == "この枠は先に予約されました。"
    with municipality_scope(facilities_a):
        assert Booking.objects.count() == 1  # the loser left nothing behind


@pytest.mark.parametrize(("days_before", "percent"), [(10, 100), (7, 100), (6, 50), (1, 50), (0, 0)])
def test_cancellation_refund_follows_the_days_before_table(
    facilities_a, room_a, slots_a, registration_a, days_before, percent
):
    day = next_open_day(offset=days_before) if days_before else timezone.localdate()
    booking = (
        _book(facilities_a, room_a, day, [slots_a[2]], registration_a)
        if days_before or timezone.localtime().hour < 18
        else None
    )
    if booking is None:
        pytest.skip("the evening unit of today has started")
    with municipality_scope(facilities_a):
        services.booking_record_counter_payment(booking, actor=None, request=None)
        today = day - datetime.timedelta(days=days_before)
        cancelled = services.booking_cancel(booking, actor=registration_a.user, request=None, today=today)
        assert cancelled.refund_amount == 2000 * percent // 100
        assert not BookedUnit.objects.filter(booking=booking, is_active=True).exists()


def test_cancellation_by_staff_for_the_facility_refunds_everything(
    facilities_a, room_a, slots_a, registration_a, django_capture_on_commit_callbacks
):
    day = next_open_day(offset=1)
    booking = _book(facilities_a, room_a, day, [slots_a[1]], registration_a)
    with municipality_scope(facilities_a), django_capture_on_commit_callbacks(execute=True):
        services.booking_record_counter_payment(booking, actor=None, request=None)
        cancelled = services.booking_cancel(
            booking, actor=None, request=None, by_staff=True, full_refund=True, today=day
        )
    assert cancelled.refund_amount == 1500
    assert any("取り消しました" in message.subject for message in mail.outbox)


def test_no_shows_suspend_the_registration_at_the_threshold(facilities_a, room_a, slots_a, registration_a):
    day = next_open_day(offset=1)
    bookings = [_book(facilities_a, room_a, day, [slot], registration_a) for slot in slots_a[:2]]
    with municipality_scope(facilities_a):
        for booking in bookings:
            services.booking_record_counter_payment(booking, actor=None, request=None)
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(date=timezone.localdate())
        services.booking_mark_no_show(bookings[0], actor=None, request=None)
        registration_a.refresh_from_db()
        assert registration_a.status == RegistrationStatus.APPROVED and registration_a.no_show_points == 1
        services.booking_mark_no_show(bookings[1], actor=None, request=None)
        registration_a.refresh_from_db()
        assert registration_a.status == RegistrationStatus.SUSPENDED
    with pytest.raises(ServiceError) as refused:
        _book(facilities_a, room_a, next_open_day(offset=5), [slots_a[0]], registration_a)
    assert refused.value.code == "registration_not_approved"


def test_closed_days_are_refused_year_end_holidays_and_weekly(
    facilities_a, room_a, slots_a, registration_a, facility_a
):
    today = timezone.localdate()
    year_end = datetime.date(today.year if today <= datetime.date(today.year, 12, 29) else today.year + 1, 12, 30)
    assert "年末年始" in services.closed_reason(facility_a, year_end)
    assert "祝日" in services.closed_reason(facility_a, datetime.date(2027, 5, 3))
    sunday = today + datetime.timedelta(days=(6 - today.weekday()) % 7 or 7)
    with pytest.raises(ServiceError) as refused:
        _book(facilities_a, room_a, sunday, [slots_a[0]], registration_a)
    assert refused.value.code == "closed" and refused.value.field == "date"


def test_hostile_choices_are_refused(facilities_a, room_a, slots_a, registration_a, open_day, city_b):
    from .conftest import make_facility, make_room

    other_room = make_room(make_facility(city_b, slug="other"))
    with municipality_scope(city_b):
        foreign_slot = TimeSlot.objects.filter(room=other_room).first()
    with pytest.raises(ServiceError) as wrong_slot:
        _book(facilities_a, room_a, open_day, [foreign_slot], registration_a)
    assert wrong_slot.value.code == "slot_invalid"
    with pytest.raises(ServiceError) as too_many:
        _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a, attendees=10_000)
    assert too_many.value.field == "attendees"
    with pytest.raises(ServiceError) as past:
        _book(facilities_a, room_a, timezone.localdate() - datetime.timedelta(days=1), [slots_a[0]], registration_a)
    assert past.value.code == "date_past"
    with pytest.raises(ServiceError) as far:
        _book(facilities_a, room_a, timezone.localdate() + datetime.timedelta(days=400), [slots_a[0]], registration_a)
    assert far.value.code == "date_too_far"


def test_blocked_units_cannot_be_booked_and_show_as_blocked(facilities_a, room_a, slots_a, registration_a, open_day):
    from madoguchi.facilities import selectors

    with municipality_scope(facilities_a):
        services.booking_block(
            municipality=facilities_a,
            room=room_a,
            date=open_day,
            slots=[slots_a[0]],
            actor=None,
            note="点検",
            request=None,
        )
        week = selectors.room_week(room_a, open_day)
        assert week.days[0].cells[0].status == "blocked"
    with pytest.raises(services.SlotTaken):
        _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)


def test_staff_move_a_booking_and_free_the_old_unit(facilities_a, room_a, slots_a, registration_a, open_day):
    booking = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with municipality_scope(facilities_a):
        services.booking_move(booking, room=room_a, date=open_day, slots=[slots_a[2]], actor=None, request=None)
        assert list(BookedUnit.objects.filter(booking=booking, is_active=True).values_list("slot_id", flat=True)) == [
            slots_a[2].pk
        ]
    _book(facilities_a, room_a, open_day, [slots_a[0]], make_registration(facilities_a))


def test_form_token_replay_returns_the_first_booking(facilities_a, room_a, slots_a, registration_a, open_day):
    first = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a, request_token="t" * 32)
    again = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a, request_token="t" * 32)
    assert first.pk == again.pk


def test_database_refuses_a_second_active_unit_without_the_service(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    booking = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with municipality_scope(facilities_a):
        unit = booking.units.first()
    with municipality_scope(facilities_a), pytest.raises(IntegrityError), transaction.atomic():
        BookedUnit.objects.create(
            municipality=facilities_a,
            booking=booking,
            room=room_a,
            slot=slots_a[0],
            date=open_day,
            starts=unit.starts,
            ends=unit.ends,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_postgresql_refuses_overlapping_time_ranges_in_one_room(
    facilities_a, room_a, slots_a, registration_a, open_day
):
    booking = _book(facilities_a, room_a, open_day, [slots_a[0]], registration_a)
    with municipality_scope(facilities_a):
        overlapping = TimeSlot.objects.create(
            municipality=facilities_a,
            room=room_a,
            label="昼",
            starts_at=datetime.time(11),
            ends_at=datetime.time(14),
            fee=1,
            is_active=False,
        )
        unit = booking.units.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            BookedUnit.objects.create(
                municipality=facilities_a,
                booking=booking,
                room=room_a,
                slot=overlapping,
                date=open_day,
                starts=unit.starts + datetime.timedelta(hours=2),
                ends=unit.ends + datetime.timedelta(hours=2),
            )
