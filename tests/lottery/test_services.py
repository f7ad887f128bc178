"""Rounds, entries, limits, the draw through the facilities services, publishing and verifying."""

import datetime
import hashlib
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import services as facility_services
from madoguchi.facilities.models import Booking, BookingSource, BookingStatus, RegistrationStatus
from madoguchi.lottery import draw, selectors, services
from madoguchi.lottery.management.commands.lottery_verify import verify
from madoguchi.lottery.models import EntryStatus, LotteryEntry, LotteryWin, RoundStatus

from ..facilities.conftest import make_facility, make_room
from ..factories import make_user
from .conftest import close_and_draw, enter, make_registration, make_round, offers_of


def test_opening_commits_to_a_secret_seed_and_holds_the_offered_units(lottery, rooms):
    assert lottery.status == RoundStatus.OPEN
    assert len(lottery.commitment) == 64 and lottery.seed_revealed == ""
    assert lottery.seed_encrypted and lottery.commitment not in lottery.seed_encrypted
    with municipality_scope(lottery.municipality):
        seed = services.seed_of(lottery)
        assert draw.commitment(seed) == lottery.commitment and len(seed) == 32
    offers = offers_of(lottery)
    assert offers and all(offer.hold_id for offer in offers)
    assert {offer.room_id for offer in offers} == {room.pk for room in rooms}
    # A first-come booking of an offered unit is refused by the facilities constraint while the round runs.
    registration = make_registration(lottery.municipality)
    with municipality_scope(lottery.municipality), pytest.raises(facility_services.SlotTaken):
        facility_services.booking_create(
            municipality=lottery.municipality,
            room=offers[0].room,
            date=offers[0].date,
            slots=[offers[0].slot],
            registration=registration,
            actor=registration.user,
            request=None,
        )
    with municipality_scope(lottery.municipality):
        assert AuditEvent.objects.filter(action="lottery.round_opened", object_id=str(lottery.public_id)).exists()


def test_two_rounds_get_different_seeds(facility, rooms):
    first = make_round(facility, [rooms[0]])
    second = make_round(facility, [rooms[1]])
    assert first.commitment != second.commitment


def test_entry_keeps_ranked_preferences_and_is_idempotent(lottery, registration):
    offers = offers_of(lottery)[:3]
    entry = enter(lottery, registration, offers, request_token="t" * 32)
    again = enter(lottery, registration, offers, request_token="t" * 32)
    assert again.pk == entry.pk
    with municipality_scope(lottery.municipality):
        assert LotteryEntry.objects.filter(round=lottery).count() == 1
        assert [p.offer_id for p in entry.preferences.order_by("rank")] == [o.pk for o in offers]
        assert AuditEvent.objects.filter(action="lottery.entry_created", object_id=str(entry.public_id)).count() == 1


@pytest.mark.parametrize(
    ("picker", "code"),
    [
        (lambda offers: [], "preferences_required"),
        (lambda offers: offers[:4], "too_many_preferences"),
        (lambda offers: [offers[0], offers[0]], "duplicate_preference"),
    ],
)
def test_preference_rules(lottery, registration, picker, code):
    with pytest.raises(ServiceError) as refused:
        enter(lottery, registration, picker(offers_of(lottery)))
    assert refused.value.code == code and refused.value.field == "preferences"


def test_an_offer_of_another_round_or_municipality_is_refused(lottery, registration, facility, rooms, city_b):
    other = make_round(facility, rooms, use_from=lottery.use_until + datetime.timedelta(days=20))
    with pytest.raises(ServiceError) as refused:
        enter(lottery, registration, offers_of(other)[:1])
    assert refused.value.code == "offer_invalid"
    stranger = make_registration(city_b)
    with pytest.raises(ServiceError) as foreign:
        enter(lottery, stranger, offers_of(lottery)[:1])
    assert foreign.value.status == 404


def test_entries_per_registration_are_limited_and_withdrawing_frees_a_place(lottery, registration):
    offers = offers_of(lottery)
    entries = [enter(lottery, registration, [offers[n]]) for n in range(3)]
    with pytest.raises(ServiceError) as refused:
        enter(lottery, registration, [offers[3]])
    assert refused.value.code == "too_many_entries"
    with municipality_scope(lottery.municipality):
        services.entry_withdraw(entry=entries[1], actor=registration.user, request=None)
        services.entry_withdraw(entry=entries[1], actor=registration.user, request=None)  # idempotent
    assert enter(lottery, registration, [offers[3]]).ordinal == 2


def test_the_database_refuses_a_second_active_entry_with_the_same_ordinal(lottery, registration):
    entry = enter(lottery, registration, offers_of(lottery)[:1])
    with municipality_scope(lottery.municipality), pytest.raises(IntegrityError), transaction.atomic():
        LotteryEntry.objects.create(
            municipality=lottery.municipality,
            round=lottery,
            registration=registration,
            code="deadbeefdeadbeef",
            holder_code=entry.holder_code,
            ordinal=entry.ordinal,
            created_by=registration.user,
        )


def test_the_window_is_enforced(facility, rooms, registration):
    now = timezone.now()
    future = make_round(
        facility, rooms, applies_from=now + datetime.timedelta(days=1), applies_until=now + datetime.timedelta(days=3)
    )
    with pytest.raises(ServiceError) as early:
        enter(future, registration, offers_of(future)[:1])
    assert early.value.code == "window_closed"
    with pytest.raises(ServiceError) as late:
        enter(future, registration, offers_of(future)[:1], now=now + datetime.timedelta(days=4))
    assert late.value.code == "window_closed"
    draft = make_round(facility, rooms, open_it=False, use_from=future.use_until + datetime.timedelta(days=20))
    with municipality_scope(draft.municipality), pytest.raises(ServiceError):
        services.entry_create(
            lottery=draft, registration=registration, offer_ids=[1], actor=registration.user, request=None
        )


def test_closing_early_is_refused(lottery):
    with municipality_scope(lottery.municipality), pytest.raises(ServiceError) as refused:
        services.round_close(lottery=lottery, actor=None, request=None)
    assert refused.value.code == "window_running"


def test_a_pending_or_suspended_registration_cannot_enter(lottery):
    pending = make_registration(lottery.municipality, status=RegistrationStatus.PENDING)
    with pytest.raises(ServiceError) as refused:
        enter(lottery, pending, offers_of(lottery)[:1])
    assert refused.value.code == "registration_not_approved" and refused.value.status == 403


def test_someone_elses_registration_is_not_found(lottery, registration):
    intruder = make_user()
    with municipality_scope(lottery.municipality), pytest.raises(ServiceError) as refused:
        services.entry_create(
            lottery=lottery,
            registration=registration,
            offer_ids=[offers_of(lottery)[0].pk],
            actor=intruder,
            request=None,
        )
    assert refused.value.status == 404


def test_the_draw_gives_winners_provisional_bookings_and_tells_losers(
    lottery, rooms, django_capture_on_commit_callbacks
):
    contested = offers_of(lottery)[0]
    spare = offers_of(lottery)[1]
    registrations = [make_registration(lottery.municipality) for _ in range(4)]
    entries = [enter(lottery, r, [contested]) for r in registrations]
    mail.outbox.clear()
    with pytest.raises(ServiceError), municipality_scope(lottery.municipality):  # cannot draw an open round
        services.round_draw(lottery=lottery, actor=None, request=None)
    with django_capture_on_commit_callbacks(execute=True):
        lottery = close_and_draw(lottery)
    assert lottery.status == RoundStatus.DRAWN
    with municipality_scope(lottery.municipality):
        win = LotteryWin.objects.get(round=lottery)
        assert win.entry_id in {e.pk for e in entries} and win.rank == 1
        booking = Booking.objects.get(pk=win.booking_id)
        assert booking.source == BookingSource.LOTTERY and booking.status == BookingStatus.PROVISIONAL
        assert booking.payment_due_at is not None
        assert booking.payment_due_at <= timezone.now() + datetime.timedelta(days=lottery.payment_days, minutes=1)
        assert booking.registration_id == win.entry.registration_id
        # The winner's unit cannot be booked twice (the facilities constraint).
        with pytest.raises(facility_services.SlotTaken):
            facility_services.booking_create(
                municipality=lottery.municipality,
                room=contested.room,
                date=contested.date,
                slots=[contested.slot],
                registration=registrations[0],
                actor=registrations[0].user,
                request=None,
                source=BookingSource.STAFF,
            )
        # Units nobody won are free again for first-come booking (the holds were released).
        released = facility_services.booking_create(
            municipality=lottery.municipality,
            room=spare.room,
            date=spare.date,
            slots=[spare.slot],
            registration=registrations[0],
            actor=registrations[0].user,
            request=None,
            source=BookingSource.STAFF,
        )
        assert released.status == BookingStatus.PROVISIONAL
        assert not Booking.objects.filter(municipality=lottery.municipality, status=BookingStatus.BLOCKED).exists()
    subjects = [m.subject for m in mail.outbox]
    assert sum("抽選の結果" in s for s in subjects) == 3  # three losers told
    assert len(subjects) == 4  # and the winner got the 仮予約 e-mail


def test_publish_reveals_the_seed_and_the_result_verifies(lottery):
    offers = offers_of(lottery)
    for n in range(6):
        enter(lottery, make_registration(lottery.municipality), [offers[n], offers[n + 6]])
    lottery = close_and_draw(lottery)
    with municipality_scope(lottery.municipality):
        before = selectors.published_result(lottery)
        assert before["seed"] is None and before["entries"] == []  # nothing to verify before publishing
        services.round_publish(lottery=lottery, actor=None, request=None)
        lottery.refresh_from_db()
        data = selectors.published_result(lottery)
    assert draw.commitment(bytes.fromhex(data["seed"])) == data["commitment"] == lottery.commitment
    assert len(data["entries"]) == 6 and len(data["winners"]) == 6  # disjoint 第1希望: everyone wins
    assert {w["rank"] for w in data["winners"]} == {1}
    assert verify(data) == []
    assert all("name" not in entry for entry in data["entries"])
    with municipality_scope(lottery.municipality):
        drawn = AuditEvent.objects.get(action="lottery.round_drawn", object_id=str(lottery.public_id))
    canonical = json.dumps(data["entries"], sort_keys=True, separators=(",", ":")).encode()
    assert drawn.details["input_sha256"] == hashlib.sha256(canonical).hexdigest()
    call_command("lottery_verify", str(lottery.public_id))
    data["winners"][0]["offer"] = data["winners"][1]["offer"]
    assert verify(data)


def test_the_verify_command_refuses_an_unknown_or_unpublished_round(lottery):
    with pytest.raises(CommandError):
        call_command("lottery_verify", "not-a-uuid")
    with pytest.raises(CommandError, match="not published"):
        call_command("lottery_verify", str(lottery.public_id))


def test_gaming_flags_and_exclusion(lottery):
    offers = offers_of(lottery)
    first = make_registration(lottery.municipality)
    second = make_registration(lottery.municipality)  # the factory gives both the same phone and address
    with municipality_scope(lottery.municipality):
        second.phone = "0765111111"
        second.save()
    loner = make_registration(lottery.municipality)
    with municipality_scope(lottery.municipality):
        loner.phone, loner.address = "0765222222", "別の住所 2-2"
        loner.save()
    entries = [enter(lottery, r, offers[:1]) for r in (first, second, loner)]
    with municipality_scope(lottery.municipality):
        flags = selectors.gaming_flags(lottery)
        kinds = {flag.kind for flag in flags}
        assert "address" in kinds and "phone" not in kinds
        flagged = {e.pk for flag in flags for e in flag.entries}
        assert flagged == {entries[0].pk, entries[1].pk}
        with pytest.raises(ServiceError) as no_reason:
            services.entry_exclude(entry=entries[1], reason="  ", actor=None, request=None)
        assert no_reason.value.field == "reason"
        services.entry_exclude(entry=entries[1], reason="同一住所の重複登録", actor=None, request=None)
        assert LotteryEntry.objects.get(pk=entries[1].pk).status == EntryStatus.EXCLUDED
        assert AuditEvent.objects.filter(action="lottery.entry_excluded", object_id=str(entries[1].public_id)).exists()
        assert selectors.gaming_flags(lottery) == []
        codes = {row["id"] for row in services.canonical_entries(lottery)}
        assert entries[1].code not in codes and entries[0].code in codes
    lottery = close_and_draw(lottery)
    with municipality_scope(lottery.municipality), pytest.raises(ServiceError) as late:
        services.entry_exclude(entry=entries[0], reason="遅い", actor=None, request=None)
    assert late.value.code == "already_drawn"


def test_a_registration_suspended_before_the_draw_is_left_out(lottery):
    offer = offers_of(lottery)[0]
    suspended = make_registration(lottery.municipality)
    enter(lottery, suspended, [offer])
    with municipality_scope(lottery.municipality):
        suspended.status = RegistrationStatus.SUSPENDED
        suspended.save()
    lottery = close_and_draw(lottery)
    with municipality_scope(lottery.municipality):
        assert not LotteryWin.objects.filter(round=lottery).exists()


def test_round_validation(facility, rooms):
    with pytest.raises(ServiceError) as no_rooms:
        make_round(facility, [], open_it=False)
    assert no_rooms.value.field == "rooms"
    other_room = make_room(make_facility(facility.municipality, slug="other-hall"))
    with pytest.raises(ServiceError) as foreign_room:
        make_round(facility, [other_room], open_it=False)
    assert foreign_room.value.code == "room_invalid"
    now = timezone.now()
    with pytest.raises(ServiceError) as overlap:
        make_round(facility, rooms, open_it=False, applies_until=now + datetime.timedelta(days=60))
    assert overlap.value.code == "use_before_close"
    with pytest.raises(ServiceError) as wins:
        make_round(facility, rooms, open_it=False, max_entries=1, max_wins=2)
    assert wins.value.field == "max_wins"


def test_the_draw_is_reproducible_from_the_stored_input(lottery):
    offers = offers_of(lottery)
    for n in range(10):
        enter(lottery, make_registration(lottery.municipality), [offers[n % 3], offers[3 + n % 4]])
    lottery = close_and_draw(lottery)
    with municipality_scope(lottery.municipality):
        stored = sorted(
            (
                {"entry": w.entry.code, "offer": w.offer.code, "rank": w.rank}
                for w in LotteryWin.objects.filter(round=lottery)
            ),
            key=lambda row: row["entry"],
        )
        again = draw.run_draw(services.seed_of(lottery), services.canonical_entries(lottery), max_wins=lottery.max_wins)
    assert again == stored and len(stored) >= 3  # offers 0–2 are someone's 第1希望, so each is won


def test_an_hourly_room_with_more_units_a_day_than_one_block_is_held_in_several(facility):
    from madoguchi.facilities.models import Room, TimeSlot

    with municipality_scope(facility.municipality):
        room = Room.objects.create(
            municipality=facility.municipality, facility=facility, name="多目的室", capacity=20, unit_kind="hourly"
        )
        for hour in range(7, 21):  # 14 one-hour units
            TimeSlot.objects.create(
                municipality=facility.municipality,
                room=room,
                label=f"{hour}時",
                starts_at=datetime.time(hour),
                ends_at=datetime.time(hour + 1),
                fee=500,
            )
    lottery = make_round(facility, [room], days=0)
    offers = offers_of(lottery)
    assert len(offers) == 14 and all(offer.hold_id for offer in offers)
    assert len({offer.hold_id for offer in offers}) == 2
