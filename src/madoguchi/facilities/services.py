"""Writes of the facilities module: registrations, bookings, payments, cancellations and the catalogue.

Every write is a short `@transaction.atomic` function with keyword-only arguments, validates with
`full_clean()`, and records an audit event in the same transaction. Double booking is refused by the
database (see models.py), never by check-then-insert: a lost race surfaces as `SlotTaken`.

The payment seam: `booking_payment_request(booking)` says what to charge and by when;
`booking_mark_paid(booking, reference=…, method=…)` confirms a 仮予約 once the money is in, and is idempotent
for the same reference. Online payment goes through the payments app (payment.py, purpose
"facilities.booking"), whose callback calls `booking_mark_paid`; `booking_cancel(...)` refunds an online-paid
booking through the payment's adapter and records the refund amount of a counter-paid one for staff to pay back.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Municipality
from madoguchi.core.selectors import module_settings

from .manifest import KEY, NO_SHOW_LIMIT, PAYMENT_HOURS
from .models import (
    ACTIVE_STATUSES,
    BookedUnit,
    Booking,
    BookingChannel,
    BookingSource,
    BookingStatus,
    Equipment,
    Facility,
    PaymentMethod,
    Reduction,
    ReductionStatus,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Room,
    TimeSlot,
    normalise_group_name,
)

MAX_UNITS_PER_BOOKING = 12


class SlotTaken(ServiceError):
    """The unit was booked by someone else first (the database refused the second booking)."""

    def __init__(self) -> None:
        super().__init__("slot_taken", _("この枠は先に予約されました。"), field="slots", status=409)


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> dict[datetime.date, str]:
    """National holidays of a year (振替休日 and 国民の休日 included), computed once per year and process."""
    import jpholiday

    return dict(jpholiday.year_holidays(year))


def closed_reason(facility: Facility, day: datetime.date) -> str | None:
    """Why the facility is closed on this day (年末年始, 祝日, 休館日), or None when it is open."""
    if facility.closed_year_end and ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)):
        return str(_("年末年始の休館日"))
    holiday = _holidays(day.year).get(day) if facility.closed_on_holidays else None
    if holiday is not None:
        return str(_("祝日（%(name)s）の休館日") % {"name": holiday})
    if str(day.weekday()) not in facility.open_weekdays:
        return str(_("休館日"))
    return None


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time), timezone.get_current_timezone())


# --- Registrations ----------------------------------------------------------------------------------------


@transaction.atomic
def registration_create(
    *, municipality: Municipality, user: Any, kind: str, data: dict[str, Any], request: HttpRequest | None
) -> Registration:
    """Apply for 利用者登録 (individual) or 団体登録 (group); staff approve it before the holder may book."""
    registration = Registration(municipality=municipality, user=user, kind=kind, **data)
    if kind == RegistrationKind.INDIVIDUAL:
        registration.members_count = 1
        registration.representative = ""
        registration.group_key = ""
        if Registration.objects.filter(municipality=municipality, user=user, kind=kind).exists():
            raise ServiceError("registration_exists", _("個人の利用者登録はすでにあります。"), field="name")
    else:
        registration.group_key = normalise_group_name(registration.name)
        if (
            Registration.objects.filter(municipality=municipality, kind=kind, group_key=registration.group_key)
            .exclude(status=RegistrationStatus.REJECTED)
            .exists()
        ):
            raise ServiceError(
                "group_exists", _("この団体名はすでに登録されています。団体の登録は1団体につき1件です。"), field="name"
            )
    if registration.resident_members_count > registration.members_count:
        raise ServiceError(
            "residents_exceed_members",
            _("市内在住・在勤・在学の人数は、構成員数以下にしてください。"),
            field="resident_members_count",
        )
    # 市内 when at least half of the members are residents (for an individual: the one member).
    registration.is_resident = registration.resident_members_count * 2 >= registration.members_count
    full_clean_or_refuse(registration)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:  # a concurrent registration of the same group
        raise ServiceError(
            "group_exists", _("この団体名はすでに登録されています。団体の登録は1団体につき1件です。"), field="name"
        ) from exc
    audit_record(
        action="facilities.registration_created",
        actor=user,
        municipality=municipality,
        object_type="facility_registration",
        object_id=str(registration.public_id),
        request=request,
        details={"kind": kind},
    )
    return registration


_TRANSITIONS = {
    "approve": ({RegistrationStatus.PENDING, RegistrationStatus.SUSPENDED}, RegistrationStatus.APPROVED),
    "reject": ({RegistrationStatus.PENDING}, RegistrationStatus.REJECTED),
    "suspend": ({RegistrationStatus.APPROVED}, RegistrationStatus.SUSPENDED),
}


@transaction.atomic
def registration_decide(
    *, registration: Registration, action: str, actor: Any, note: str = "", request: HttpRequest | None
) -> Registration:
    """Staff approve, reject, suspend or reinstate (approve again) a registration."""
    if action not in _TRANSITIONS:
        raise ServiceError("invalid_action", _("その操作はできません。"))
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    allowed, target = _TRANSITIONS[action]
    if registration.status not in allowed:
        raise ServiceError("invalid_status", _("この登録の状態では、その操作はできません。"))
    if action == "approve" and registration.status == RegistrationStatus.SUSPENDED:
        registration.no_show_points = Decimal("0")
    registration.status = target
    registration.status_note = note[:400]
    registration.decided_by = actor
    registration.decided_at = timezone.now()
    full_clean_or_refuse(registration)
    registration.save()
    audit_record(
        action=f"facilities.registration_{target}",
        actor=actor,
        municipality=registration.municipality,
        object_type="facility_registration",
        object_id=str(registration.public_id),
        request=request,
        details={"from": sorted(allowed)[0] if len(allowed) == 1 else "", "note": bool(note)},
    )
    return registration


@transaction.atomic
def registration_regenerate_ical_token(*, registration: Registration, request: HttpRequest | None) -> Registration:
    from .models import _token

    registration.ical_token = _token()
    registration.save(update_fields=["ical_token"])
    audit_record(
        action="facilities.ical_token_regenerated",
        actor=registration.user,
        municipality=registration.municipality,
        object_type="facility_registration",
        object_id=str(registration.public_id),
        request=request,
    )
    return registration


# --- Fees -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    room_fee: int  # after multipliers
    multiplier: Decimal
    reduction: int
    reduction_pending: bool
    equipment: int
    total: int

    @property
    def total_if_approved(self) -> int:
        return self.total


def fee_quote(
    *,
    facility: Facility,
    slots: list[TimeSlot],
    is_resident: bool,
    is_commercial: bool,
    equipment: list[Equipment],
    reduction: Reduction | None,
    reduction_status: str = "",
) -> Quote:
    """使用料: the units' fees × 市外 and 営利 multipliers (円未満切捨て), less 減免 (room fee only), plus
    附帯設備 charges. A 減免 that needs approval counts only once staff have approved it."""
    base = sum(slot.fee for slot in slots)
    multiplier = Decimal("1")
    if not is_resident:
        multiplier *= facility.nonresident_multiplier
    if is_commercial:
        multiplier *= facility.commercial_multiplier
    room_fee = int((Decimal(base) * multiplier).quantize(Decimal("1"), rounding=ROUND_DOWN))
    applies = reduction is not None and (
        not reduction.requires_approval or reduction_status == ReductionStatus.APPROVED
    )
    cut = room_fee * reduction.percent // 100 if applies and reduction is not None else 0
    equipment_fee = sum(item.fee for item in equipment)
    return Quote(
        room_fee=room_fee,
        multiplier=multiplier,
        reduction=cut,
        reduction_pending=reduction is not None and not applies and reduction_status != ReductionStatus.REJECTED,
        equipment=equipment_fee,
        total=room_fee - cut + equipment_fee,
    )


# --- Bookings ---------------------------------------------------------------------------------------------


def _expire_overdue(
    *, municipality: Municipality, now: datetime.datetime, room: Room | None = None, day: datetime.date | None = None
) -> int:
    """Expire unpaid 仮予約 past their deadline (all, or those on one room and day) and free their units."""
    overdue = Booking.objects.filter(
        municipality=municipality, status=BookingStatus.PROVISIONAL, payment_due_at__lt=now
    )
    if room is not None and day is not None:
        overdue = overdue.filter(room=room, date=day)
    expired = 0
    for booking in overdue.select_for_update(skip_locked=False):
        booking.status = BookingStatus.EXPIRED
        booking.save(update_fields=["status"])
        BookedUnit.objects.filter(booking=booking).update(is_active=False)
        audit_record(
            action="facilities.booking_expired",
            actor=None,
            municipality=municipality,
            object_type="facility_booking",
            object_id=str(booking.public_id),
            details={"due": booking.payment_due_at.isoformat() if booking.payment_due_at else ""},
        )
        expired += 1
    return expired


@transaction.atomic
def bookings_expire(*, municipality: Municipality, now: datetime.datetime | None = None) -> int:
    """The periodic task's work: every overdue 仮予約 of the municipality expires and its slot returns."""
    return _expire_overdue(municipality=municipality, now=now or timezone.now())


def _check_slots(room: Room, slots: list[TimeSlot]) -> list[TimeSlot]:
    if not slots:
        raise ServiceError("slots_required", _("利用する時間帯を選んでください。"), field="slots")
    if len(slots) > MAX_UNITS_PER_BOOKING:
        raise ServiceError("too_many_slots", _("一度に予約できるのは12枠までです。"), field="slots")
    if len({slot.pk for slot in slots}) != len(slots) or any(
        slot.room_id != room.pk or not slot.is_active for slot in slots
    ):
        raise ServiceError("slot_invalid", _("選んだ時間帯はこの部屋では予約できません。"), field="slots")
    return sorted(slots, key=lambda slot: slot.starts_at)


def _check_date(facility: Facility, room: Room, day: datetime.date, *, by_staff: bool) -> None:
    today = timezone.localdate()
    if day < today:
        raise ServiceError("date_past", _("過去の日付は予約できません。"), field="date")
    if not by_staff and day > today + datetime.timedelta(days=facility.booking_window_days):
        raise ServiceError(
            "date_too_far",
            _("この施設は%(days)s日先までしか予約できません。") % {"days": facility.booking_window_days},
            field="date",
        )
    reason = closed_reason(facility, day)
    if reason:
        raise ServiceError("closed", _("この日は%(reason)sのため予約できません。") % {"reason": reason}, field="date")
    if not room.is_bookable or not facility.is_published or (not by_staff and not facility.online_booking):
        raise ServiceError("not_bookable", _("この部屋は現在、オンライン予約を受け付けていません。"), field="slots")


def _hold_units(booking: Booking, slots: list[TimeSlot], fees: dict[int, int]) -> None:
    units = [
        BookedUnit(
            municipality=booking.municipality,
            booking=booking,
            room=booking.room,
            slot=slot,
            date=booking.date,
            starts=_aware(booking.date, slot.starts_at),
            ends=_aware(booking.date, slot.ends_at),
            fee=fees.get(slot.pk, 0),
        )
        for slot in slots
    ]
    for unit in units:
        # Fields only: the database, not a prior query, decides whether the unit is free.
        unit.full_clean(validate_constraints=False, exclude=["booking"])
    try:
        with transaction.atomic():  # a savepoint, so the refusal is clean on PostgreSQL
            BookedUnit.objects.bulk_create(units)
    except IntegrityError as exc:
        raise SlotTaken() from exc


def _number(booking: Booking) -> str:
    return f"F{booking.date:%y%m%d}-{booking.public_id.hex[:8].upper()}"


@transaction.atomic
def booking_create(
    *,
    municipality: Municipality,
    room: Room,
    date: datetime.date,
    slots: list[TimeSlot],
    registration: Registration,
    actor: Any,
    request: HttpRequest | None,
    purpose: str = "",
    attendees: int = 1,
    is_commercial: bool = False,
    equipment: list[Equipment] | None = None,
    reduction: Reduction | None = None,
    reduction_reason: str = "",
    source: str = BookingSource.FIRST_COME,
    channel: str = BookingChannel.ONLINE,
    request_token: str = "",
    payment_due_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """A 仮予約 of one or more units of a room on one day (confirmed at once when nothing is to be paid).

    A replay of the same one-time form token returns the first booking. The lottery passes
    `source=BookingSource.LOTTERY` and its own `payment_due_at`.
    """
    now = now or timezone.now()
    facility = room.facility
    if room.municipality_id != municipality.pk or registration.municipality_id != municipality.pk:
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if request_token:
        replay = Booking.objects.filter(
            municipality=municipality, created_by=actor, request_token=request_token
        ).first()
        if replay is not None:
            return replay
    by_staff = channel != BookingChannel.ONLINE or source != BookingSource.FIRST_COME
    if not registration.can_book:
        raise ServiceError(
            "registration_not_approved",
            _("利用者登録が承認されていないか、利用停止中のため予約できません。"),
            field="registration",
            status=403,
        )
    slots = _check_slots(room, slots)
    _check_date(facility, room, date, by_staff=by_staff)
    if _aware(date, slots[0].starts_at) <= now:
        raise ServiceError("slot_started", _("開始時刻を過ぎた時間帯は予約できません。"), field="slots")
    if attendees < 1 or attendees > room.capacity:
        raise ServiceError(
            "over_capacity",
            _("利用人数は1人以上、定員（%(capacity)s人）以下にしてください。") % {"capacity": room.capacity},
            field="attendees",
        )
    equipment = list(equipment or [])
    if any(item.facility_id != facility.pk or not item.is_active for item in equipment):
        raise ServiceError("equipment_invalid", _("選んだ附帯設備はこの施設にありません。"), field="equipment")
    if reduction is not None:
        if reduction.municipality_id != municipality.pk or not reduction.is_active:
            raise ServiceError("reduction_invalid", _("選んだ減免区分は使えません。"), field="reduction")
        if is_commercial:
            raise ServiceError("reduction_commercial", _("営利目的の利用には減免を適用できません。"), field="reduction")
        if reduction.requires_approval and not reduction_reason.strip():
            raise ServiceError(
                "reduction_reason_required", _("減免を申請する理由を入力してください。"), field="reduction_reason"
            )
    # A deadline that passed frees its units before we try to take them.
    _expire_overdue(municipality=municipality, now=now, room=room, day=date)

    reduction_status = ""
    if reduction is not None:
        reduction_status = ReductionStatus.PENDING if reduction.requires_approval else ReductionStatus.APPROVED
    quote = fee_quote(
        facility=facility,
        slots=slots,
        is_resident=registration.is_resident,
        is_commercial=is_commercial,
        equipment=equipment,
        reduction=reduction,
        reduction_status=reduction_status,
    )
    payable_now = quote.total == 0 and reduction_status != ReductionStatus.PENDING
    if payment_due_at is None:
        hours = int(module_settings(municipality, KEY).get(PAYMENT_HOURS, 72))
        payment_due_at = min(now + datetime.timedelta(hours=hours), _aware(date, slots[0].starts_at))
    booking = Booking(
        municipality=municipality,
        room=room,
        date=date,
        registration=registration,
        status=BookingStatus.CONFIRMED if payable_now else BookingStatus.PROVISIONAL,
        source=source,
        channel=channel,
        purpose=purpose,
        attendees=attendees,
        is_commercial=is_commercial,
        is_nonresident=not registration.is_resident,
        reduction=reduction,
        reduction_status=reduction_status,
        reduction_reason=reduction_reason,
        fee_room=quote.room_fee,
        fee_reduction=quote.reduction,
        fee_equipment=quote.equipment,
        fee_total=quote.total,
        payment_due_at=None if payable_now else payment_due_at,
        payment_method=PaymentMethod.FREE if payable_now else "",
        paid_at=now if payable_now else None,
        request_token=request_token,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    booking.number = _number(booking)
    full_clean_or_refuse(booking)
    booking.save()
    if equipment:
        booking.equipment.set(equipment)
    multiplier = quote.multiplier
    _hold_units(
        booking,
        slots,
        {slot.pk: int((Decimal(slot.fee) * multiplier).quantize(Decimal("1"), rounding=ROUND_DOWN)) for slot in slots},
    )
    audit_record(
        action="facilities.booking_created",
        actor=actor,
        municipality=municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={
            "room": str(room.public_id),
            "date": date.isoformat(),
            "units": len(slots),
            "source": source,
            "channel": channel,
            "total": quote.total,
        },
    )
    _mail(booking, "facilities/email/booking_created")
    return booking


def _mail(booking: Booking, template: str) -> None:
    from madoguchi.core.email import send_templated_email

    registration = booking.registration
    if registration is None or not registration.user.email:
        return
    send_templated_email(
        to=registration.user.email,
        template=template,
        context={"booking": booking, "municipality": booking.municipality},
        language=getattr(registration.user, "preferred_language", "ja") or "ja",
    )


@transaction.atomic
def booking_block(
    *,
    municipality: Municipality,
    room: Room,
    date: datetime.date,
    slots: list[TimeSlot],
    actor: Any,
    note: str,
    request: HttpRequest | None,
) -> Booking:
    """Staff take units out of booking (maintenance, a city event). Refused where someone already booked."""
    if room.municipality_id != municipality.pk:
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    slots = _check_slots(room, slots)
    if date < timezone.localdate():
        raise ServiceError("date_past", _("過去の日付は指定できません。"), field="date")
    if not note.strip():
        raise ServiceError("note_required", _("利用不可にする理由を入力してください。"), field="note")
    _expire_overdue(municipality=municipality, now=timezone.now(), room=room, day=date)
    booking = Booking(
        municipality=municipality,
        room=room,
        date=date,
        status=BookingStatus.BLOCKED,
        source=BookingSource.STAFF,
        channel=BookingChannel.COUNTER,
        staff_note=note[:400],
        created_by=actor,
    )
    booking.number = _number(booking)
    full_clean_or_refuse(booking)
    booking.save()
    _hold_units(booking, slots, {})
    audit_record(
        action="facilities.slots_blocked",
        actor=actor,
        municipality=municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={"room": str(room.public_id), "date": date.isoformat(), "units": len(slots)},
    )
    return booking


def booking_payment_request(booking: Booking) -> dict[str, Any]:
    """What the payments app charges for a 仮予約: amount (yen), a description, and the deadline."""
    return {
        "amount": booking.fee_total,
        "reference": booking.number,
        "description": f"{booking.room} {booking.date.isoformat()}",
        "due_at": booking.payment_due_at,
        "payable": booking.status == BookingStatus.PROVISIONAL
        and booking.reduction_status != ReductionStatus.PENDING
        and booking.fee_total > 0,
    }


@transaction.atomic
def booking_mark_paid(
    booking: Booking,
    *,
    reference: str,
    method: str = PaymentMethod.ONLINE,
    amount: int | None = None,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> Booking:
    """The payment seam: money for a 仮予約 arrived → 予約確定. Idempotent for the same reference.

    Refused (so the payments app refunds) when the booking already expired or was cancelled, when a 減免
    is still waiting for approval, or when the amount differs from the fee."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status == BookingStatus.CONFIRMED and booking.payment_reference == reference and reference:
        return booking
    if booking.status != BookingStatus.PROVISIONAL:
        raise ServiceError("not_payable", _("この予約はお支払いを受け付けられる状態ではありません。"), status=409)
    if booking.reduction_status == ReductionStatus.PENDING:
        raise ServiceError("reduction_pending", _("減免の審査が終わるまでお支払いはできません。"), status=409)
    if amount is not None and amount != booking.fee_total:
        raise ServiceError("amount_mismatch", _("お支払い金額が使用料と一致しません。"), status=409)
    if method not in (PaymentMethod.ONLINE, PaymentMethod.COUNTER):
        raise ServiceError("invalid_method", _("支払方法が正しくありません。"))
    booking.status = BookingStatus.CONFIRMED
    booking.payment_method = method
    booking.payment_reference = reference[:100]
    booking.paid_at = timezone.now()
    booking.payment_due_at = None
    full_clean_or_refuse(booking)
    booking.save()
    audit_record(
        action="facilities.booking_paid",
        actor=actor,
        municipality=booking.municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={"method": method, "amount": booking.fee_total},
    )
    _mail(booking, "facilities/email/booking_confirmed")
    return booking


@transaction.atomic
def booking_record_counter_payment(booking: Booking, *, actor: Any, request: HttpRequest | None) -> Booking:
    """窓口払い: staff took the money at the counter. An open online checkout is closed first, so the resident
    cannot pay twice."""
    from .payment import checkouts_close

    checkouts_close(booking, reason="paid_at_counter", request=request)
    return booking_mark_paid(
        booking, reference=f"counter:{booking.number}", method=PaymentMethod.COUNTER, actor=actor, request=request
    )


def refund_for(booking: Booking, *, today: datetime.date, full: bool = False) -> int:
    """The refund a cancellation earns: the paid amount × the facility's rate for the days before use."""
    if booking.paid_at is None or booking.payment_method in ("", PaymentMethod.FREE):
        return 0
    if full:
        return booking.fee_total
    days_before = (booking.date - today).days
    for days, percent in booking.room.facility.refund_rows:
        if days_before >= days:
            return booking.fee_total * percent // 100
    return 0


@transaction.atomic
def booking_cancel(
    booking: Booking,
    *,
    actor: Any,
    request: HttpRequest | None,
    by_staff: bool = False,
    full_refund: bool = False,
    today: datetime.date | None = None,
) -> Booking:
    """Cancel and free the units. The refund follows the facility's table unless staff cancel for the
    facility's own reasons (full refund). Residents cannot cancel on or after the day of use online.

    A booking paid online is refunded through its payment's adapter in the same transaction (a refusal by the
    provider leaves the booking as it was); an open checkout of a 仮予約 is closed first."""
    from .payment import checkouts_close, online_refund

    today = today or timezone.localdate()
    if booking.status in ACTIVE_STATUSES and (by_staff or booking.date >= today):
        checkouts_close(booking, reason="booking_cancelled", request=request)  # payments lock before bookings
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__facility").get(pk=booking.pk)
    if booking.status not in ACTIVE_STATUSES:
        raise ServiceError("not_cancellable", _("この予約はすでに取り消されているか、期限が切れています。"), status=409)
    if not by_staff and booking.date < today:
        raise ServiceError("too_late", _("利用日を過ぎた予約は取り消せません。"), status=409)
    refund = refund_for(booking, today=today, full=full_refund and by_staff)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.refund_amount = refund
    booking.payment_due_at = None
    full_clean_or_refuse(booking)
    booking.save()
    BookedUnit.objects.filter(booking=booking).update(is_active=False)
    refunded_online = 0
    if booking.payment_method == PaymentMethod.ONLINE:
        refunded_online = online_refund(booking, amount=refund, actor=actor, request=request)
    audit_record(
        action="facilities.booking_cancelled",
        actor=actor,
        municipality=booking.municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={
            "by_staff": by_staff,
            "refund": refund,
            "refunded_online": refunded_online,
            "days_before": (booking.date - today).days,
        },
    )
    if booking.registration is not None:
        _mail(booking, "facilities/email/booking_cancelled")
    return booking


@transaction.atomic
def booking_reduction_decide(booking: Booking, *, approve: bool, actor: Any, request: HttpRequest | None) -> Booking:
    """Staff approve or refuse the 減免 a booking asked for; the fee is recomputed (and a booking with
    nothing left to pay is confirmed)."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("room__facility", "reduction", "registration")
        .get(pk=booking.pk)
    )
    if booking.reduction_status != ReductionStatus.PENDING or booking.status != BookingStatus.PROVISIONAL:
        raise ServiceError("not_pending", _("この予約に審査待ちの減免はありません。"), status=409)
    booking.reduction_status = ReductionStatus.APPROVED if approve else ReductionStatus.REJECTED
    slots = [unit.slot for unit in booking.units.select_related("slot").filter(is_active=True)]
    quote = fee_quote(
        facility=booking.room.facility,
        slots=slots,
        is_resident=not booking.is_nonresident,
        is_commercial=booking.is_commercial,
        equipment=list(booking.equipment.all()),
        reduction=booking.reduction,
        reduction_status=booking.reduction_status,
    )
    booking.fee_room, booking.fee_reduction = quote.room_fee, quote.reduction
    booking.fee_equipment, booking.fee_total = quote.equipment, quote.total
    if quote.total == 0:
        booking.status = BookingStatus.CONFIRMED
        booking.payment_method = PaymentMethod.FREE
        booking.paid_at = timezone.now()
        booking.payment_due_at = None
    full_clean_or_refuse(booking)
    booking.save()
    audit_record(
        action="facilities.reduction_approved" if approve else "facilities.reduction_rejected",
        actor=actor,
        municipality=booking.municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={"reduction": booking.reduction.name if booking.reduction else "", "total": quote.total},
    )
    return booking


@transaction.atomic
def booking_move(
    booking: Booking,
    *,
    room: Room,
    date: datetime.date,
    slots: list[TimeSlot],
    actor: Any,
    request: HttpRequest | None,
) -> Booking:
    """Staff move a booking to other units (same fee rules); refused when the new units are taken."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status not in (BookingStatus.PROVISIONAL, BookingStatus.CONFIRMED):
        raise ServiceError("not_movable", _("この予約は変更できません。"), status=409)
    if room.municipality_id != booking.municipality_id or room.facility_id != booking.room.facility_id:
        raise ServiceError("room_invalid", _("同じ施設の部屋を選んでください。"), field="room")
    slots = _check_slots(room, slots)
    _check_date(room.facility, room, date, by_staff=True)
    old = {"room": str(booking.room.public_id), "date": booking.date.isoformat()}
    # The old units go (the audit event keeps where the booking was); the new ones carry the guard.
    BookedUnit.objects.filter(booking=booking).delete()
    booking.room = room
    booking.date = date
    full_clean_or_refuse(booking)
    booking.save()
    _expire_overdue(municipality=booking.municipality, now=timezone.now(), room=room, day=date)
    _hold_units(booking, slots, {slot.pk: slot.fee for slot in slots})
    audit_record(
        action="facilities.booking_moved",
        actor=actor,
        municipality=booking.municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={"from": old, "to": {"room": str(room.public_id), "date": date.isoformat()}},
    )
    return booking


@transaction.atomic
def booking_mark_no_show(booking: Booking, *, actor: Any, request: HttpRequest | None) -> Booking:
    """無断キャンセル: one point on the registration; at the municipality's threshold it is suspended."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if (
        booking.status != BookingStatus.CONFIRMED
        or booking.registration_id is None
        or booking.date > timezone.localdate()
        or booking.checked_in_at
    ):
        raise ServiceError("not_no_show", _("この予約は無断キャンセルにできません。"), status=409)
    booking.status = BookingStatus.NO_SHOW
    booking.save(update_fields=["status"])
    BookedUnit.objects.filter(booking=booking).update(is_active=False)
    registration = Registration.objects.select_for_update().get(pk=booking.registration_id)
    registration.no_show_points += Decimal("1")
    limit = int(module_settings(booking.municipality, KEY).get(NO_SHOW_LIMIT, 2))
    suspended = registration.status == RegistrationStatus.APPROVED and registration.no_show_points >= limit
    if suspended:
        registration.status = RegistrationStatus.SUSPENDED
        registration.status_note = str(_("無断キャンセルが%(points)s点になったため自動で利用停止")) % {
            "points": registration.no_show_points
        }
        registration.decided_at = timezone.now()
        registration.decided_by = None
    registration.save()
    audit_record(
        action="facilities.booking_no_show",
        actor=actor,
        municipality=booking.municipality,
        object_type="facility_booking",
        object_id=str(booking.public_id),
        request=request,
        details={"points": str(registration.no_show_points), "suspended": suspended},
    )
    if suspended:
        audit_record(
            action="facilities.registration_suspended",
            actor=None,
            municipality=booking.municipality,
            object_type="facility_registration",
            object_id=str(registration.public_id),
            request=request,
            details={"automatic": True, "points": str(registration.no_show_points)},
        )
    return booking


@transaction.atomic
def booking_check_in(booking: Booking, *, actor: Any, request: HttpRequest | None) -> Booking:
    """Staff scanned the resident's QR code on the day of use."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != BookingStatus.CONFIRMED:
        raise ServiceError("not_confirmed", _("確定していない予約は受付できません。"), status=409)
    if booking.date != timezone.localdate():
        raise ServiceError("not_today", _("利用日当日のみ受付できます。"), status=409)
    if booking.checked_in_at is None:
        booking.checked_in_at = timezone.now()
        booking.save(update_fields=["checked_in_at"])
        audit_record(
            action="facilities.booking_checked_in",
            actor=actor,
            municipality=booking.municipality,
            object_type="facility_booking",
            object_id=str(booking.public_id),
            request=request,
        )
    return booking


# --- Catalogue (staff) ------------------------------------------------------------------------------------


@transaction.atomic
def catalogue_save(*, instance: Any, municipality: Municipality, actor: Any, request: HttpRequest | None) -> Any:
    """Create or update a facility, room, unit, equipment item or 減免区分 of this municipality."""
    if instance.municipality_id is None:
        instance.municipality = municipality
    if instance.municipality_id != municipality.pk:
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    for parent in ("facility", "room"):
        related = getattr(instance, parent, None) if hasattr(type(instance), parent) else None
        if related is not None and related.municipality_id != municipality.pk:
            raise ServiceError("not_found", _("見つかりません。"), status=404)
    creating = instance.pk is None
    full_clean_or_refuse(instance)
    if isinstance(instance, TimeSlot):
        overlapping = TimeSlot.objects.filter(
            room=instance.room, is_active=True, starts_at__lt=instance.ends_at, ends_at__gt=instance.starts_at
        ).exclude(pk=instance.pk)
        if instance.is_active and overlapping.exists():
            raise ServiceError("slot_overlap", _("この部屋の他の区分と時間が重なっています。"), field="starts_at")
    instance.save()
    kind = type(instance).__name__.lower()
    audit_record(
        action=f"facilities.{kind}_{'created' if creating else 'updated'}",
        actor=actor,
        municipality=municipality,
        object_type=f"facility_{kind}",
        object_id=str(getattr(instance, "public_id", instance.pk)),
        request=request,
    )
    return instance


def active_booking_filter() -> Q:
    return Q(status__in=ACTIVE_STATUSES)
