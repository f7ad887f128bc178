"""Paying a 仮予約 online through the payments app: the payments purpose "facilities.booking" (registered in
apps.py) and the facilities side of starting, closing and refunding a booking's payment.

A Payment names the booking by its public id. Money received confirms the booking through the seam
`services.booking_mark_paid` (reference: the payment's public id), inside the payments transaction that marks
the payment paid, so the return redirect and any number of webhook deliveries confirm it exactly once. When
the 仮予約 can no longer be confirmed (it expired or was cancelled before the money arrived), the seam refuses:
payments keeps the money recorded as paid with a `fulfilment_failed` event, the booking page tells the
resident, and staff find it under 「返金が必要なオンライン決済」 and refund it. Money is never dropped.

Lock order is payments before bookings (as in payments.services): whatever closes a booking's checkout does so
before the booking row is locked.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Municipality

from .models import Booking, BookingStatus, PaymentMethod, ReductionStatus

logger = logging.getLogger(__name__)

PAYMENT_PURPOSE = "facilities.booking"

OUTCOME_MESSAGES = {
    "failed": (
        messages.ERROR,
        _(
            "カードでのお支払いができませんでした。仮予約はそのままです。お支払い期限までに、もう一度お試しいただくか、施設の窓口でお支払いください。"
        ),
    ),
    "canceled": (
        messages.WARNING,
        _("お支払いを中止しました。仮予約はそのままです。お支払い期限までにお支払いください。"),
    ),
    "pending": (messages.INFO, _("お支払いの結果を確認しています。しばらくしてからこの画面を再読み込みしてください。")),
}


# --- The payments purpose -------------------------------------------------------------------------------


def _booking_of(payment: Any) -> Booking | None:
    return (
        Booking.objects.select_related("room__facility", "registration__user")
        .filter(municipality=payment.municipality, public_id=payment.object_id)
        .first()
    )


def booking_paid(payment: Any, request: HttpRequest | None) -> None:
    """Money received for a 仮予約 → 予約確定. Raises (so payments records `fulfilment_failed` and keeps the
    money as paid) when the booking is gone, expired, cancelled, or its fee no longer matches."""
    from .services import booking_mark_paid

    booking = _booking_of(payment)
    if booking is None:
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    booking_mark_paid(
        booking,
        reference=str(payment.public_id),
        method=PaymentMethod.ONLINE,
        amount=payment.amount,
        actor=payment.payer,
        request=request,
    )


def booking_next_url(payment: Any, outcome: str) -> str:
    """Back from the hosted page, whatever happened: the booking's page in マイページ shows the outcome."""
    slug = payment.municipality.slug
    booking = _booking_of(payment)
    if booking is None:
        return reverse("facilities:mine", kwargs={"municipality_slug": slug})
    return reverse("facilities:mine_booking", kwargs={"municipality_slug": slug, "booking_id": booking.public_id})


def booking_reference(payment: Any) -> str:
    booking = _booking_of(payment)
    return booking.number if booking is not None else ""


def booking_staff_url(payment: Any) -> str:
    booking = _booking_of(payment)
    if booking is None:
        return ""
    return reverse(
        "facilities_staff:booking",
        kwargs={"municipality_slug": payment.municipality.slug, "booking_id": booking.public_id},
    )


def booking_lookup(municipality: Any, query: str) -> list[str]:
    """The booking with this 予約番号 (staff search payments by it)."""
    return [
        str(public_id)
        for public_id in Booking.objects.filter(municipality=municipality, number__iexact=query.strip()).values_list(
            "public_id", flat=True
        )[:5]
    ]


# --- Starting a payment -------------------------------------------------------------------------------------


def online_payment_available(municipality: Municipality) -> bool:
    """True when residents of this municipality can pay by card (payments switched on, card allowed, an
    enabled merchant account with an adapter this deployment offers)."""
    from madoguchi.payments.models import PaymentMethod as Method
    from madoguchi.payments.selectors import payment_methods_for

    return any(choice.method == Method.CARD for choice in payment_methods_for(municipality))


def _label(booking: Booking) -> tuple[str, str]:
    """The room fee's line label in Japanese and in English (the receipt shows the resident's language)."""
    units = [unit for unit in booking.units.all() if unit.is_active]
    room, facility = booking.room, booking.room.facility
    with override("ja"):
        japanese = str(
            _("使用料（%(place)s %(date)s %(slots)s）")
            % {
                "place": f"{facility.name} {room.name}",
                "date": booking.date,
                "slots": "・".join(unit.slot.label for unit in units),
            }
        )
    with override("en"):
        english = str(
            _("使用料（%(place)s %(date)s %(slots)s）")
            % {
                "place": f"{facility.name_en or facility.name} {room.name_en or room.name}",
                "date": booking.date,
                "slots": ", ".join(unit.slot.label_en or unit.slot.label for unit in units),
            }
        )
    return japanese, english


def payment_lines(booking: Booking) -> list[dict[str, Any]]:
    """The fee frozen for the payment: the room fee (after 市外・営利 multipliers), less 減免, plus 附帯設備;
    labels in Japanese and English. The lines add up to booking.fee_total."""
    room_ja, room_en = _label(booking)
    lines = [
        {
            "code": "room",
            "label": room_ja,
            "label_en": room_en,
            "unit": booking.fee_room,
            "quantity": 1,
            "amount": booking.fee_room,
        },
    ]
    if booking.fee_reduction:
        name = booking.reduction.name if booking.reduction is not None else ""
        with override("ja"):
            label = str(_("減免（%(name)s）") % {"name": name})
        with override("en"):
            label_en = str(_("減免（%(name)s）") % {"name": name})
        lines.append(
            {
                "code": "reduction",
                "label": label,
                "label_en": label_en,
                "unit": -booking.fee_reduction,
                "quantity": 1,
                "amount": -booking.fee_reduction,
            }
        )
    if booking.fee_equipment:
        with override("ja"):
            label = str(_("附帯設備"))
        with override("en"):
            label_en = str(_("附帯設備"))
        lines.append(
            {
                "code": "equipment",
                "label": label,
                "label_en": label_en,
                "unit": booking.fee_equipment,
                "quantity": 1,
                "amount": booking.fee_equipment,
            }
        )
    return lines


@transaction.atomic
def booking_pay_online(
    *, booking: Booking, actor: Any, request: HttpRequest | None, now: datetime.datetime | None = None
) -> Any:
    """Start the online payment of a 仮予約 (first-come or a lottery win) with the municipality's card adapter,
    or return the one already started: a double click or a second tab opens the same checkout, and a booking
    whose money has arrived gets that payment back. The caller sends the resident to payment.redirect_url."""
    from madoguchi.payments.models import PaymentMethod as Method
    from madoguchi.payments.selectors import payment_live_for_object
    from madoguchi.payments.services import payment_start

    now = now or timezone.now()
    municipality = booking.municipality
    live = payment_live_for_object(municipality, PAYMENT_PURPOSE, str(booking.public_id))
    if live is not None and live.money_received:
        return live
    if booking.status != BookingStatus.PROVISIONAL:
        raise ServiceError(
            "not_payable", _("この予約はお支払いを受け付けられる状態ではありません。"), field="payment", status=409
        )
    if booking.reduction_status == ReductionStatus.PENDING:
        raise ServiceError(
            "reduction_pending", _("減免の審査が終わるまでお支払いはできません。"), field="payment", status=409
        )
    if booking.fee_total <= 0:
        raise ServiceError("nothing_to_pay", _("この予約にお支払いはありません。"), field="payment", status=409)
    if booking.payment_due_at is None or booking.payment_due_at <= now:
        raise ServiceError(
            "payment_overdue",
            _("お支払い期限を過ぎたため、この仮予約はお支払いできません。"),
            field="payment",
            status=409,
        )
    if not online_payment_available(municipality):
        raise ServiceError(
            "online_payment_unavailable",
            _("オンラインでのお支払いは現在受け付けていません。施設の窓口でお支払いください。"),
            field="payment",
            status=409,
        )
    return payment_start(
        municipality=municipality,
        purpose=PAYMENT_PURPOSE,
        object_id=str(booking.public_id),
        amount=booking.fee_total,
        lines=payment_lines(booking),
        method=Method.CARD,
        payer=actor,
        department=None,
        request=request,
    )


# --- What the booking pages show -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingPayment:
    latest: Any  # the most recent payment of the booking, or None
    paid: Any  # the payment with money received, or None
    needs_refund: bool  # money received that did not confirm this booking (it expired or was cancelled first)
    can_pay_online: bool


def booking_payment_state(booking: Booking, *, now: datetime.datetime | None = None) -> BookingPayment:
    """The booking's online payments as its pages show them (a fixed number of queries)."""
    from madoguchi.payments.selectors import payments_for_object

    if booking.fee_total <= 0 or booking.registration_id is None:
        return BookingPayment(latest=None, paid=None, needs_refund=False, can_pay_online=False)
    now = now or timezone.now()
    payments = payments_for_object(booking.municipality, PAYMENT_PURPOSE, str(booking.public_id))
    paid = next((payment for payment in payments if payment.money_received), None)
    needs_refund = paid is not None and booking.payment_reference != str(paid.public_id) and paid.refundable_amount > 0
    can_pay = (
        paid is None
        and booking.status == BookingStatus.PROVISIONAL
        and booking.reduction_status != ReductionStatus.PENDING
        and booking.payment_due_at is not None
        and booking.payment_due_at > now
        and online_payment_available(booking.municipality)
    )
    return BookingPayment(
        latest=payments[0] if payments else None, paid=paid, needs_refund=needs_refund, can_pay_online=can_pay
    )


def payments_needing_refund(municipality: Municipality) -> list[tuple[Any, Booking | None]]:
    """(payment, booking) for booking payments whose money could not confirm the booking, for staff."""
    from madoguchi.payments.selectors import payments_unfulfilled

    payments = payments_unfulfilled(municipality, PAYMENT_PURPOSE)
    bookings = {
        str(booking.public_id): booking
        for booking in Booking.objects.filter(
            municipality=municipality, public_id__in=[payment.object_id for payment in payments]
        ).select_related("room__facility", "registration")
    }
    return [(payment, bookings.get(payment.object_id)) for payment in payments]


# --- Closing and refunding ------------------------------------------------------------------------------------


def checkouts_close(booking: Booking, *, reason: str, request: HttpRequest | None) -> int:
    """Close the booking's open checkout (the booking is being cancelled or was paid at the counter), so the
    resident cannot pay for it any more. Call before locking the booking row (payments lock first)."""
    from madoguchi.payments.services import payment_cancel_pending

    if booking.status != BookingStatus.PROVISIONAL or booking.fee_total <= 0:
        return 0
    return payment_cancel_pending(
        municipality=booking.municipality,
        purpose=PAYMENT_PURPOSE,
        object_id=str(booking.public_id),
        reason=reason,
        request=request,
    )


def overdue_checkouts_close(*, municipality: Municipality, now: datetime.datetime) -> int:
    """Before overdue 仮予約 expire, close their open checkouts (each in its own short transaction)."""
    overdue = list(
        Booking.objects.filter(
            municipality=municipality, status=BookingStatus.PROVISIONAL, payment_due_at__lt=now, fee_total__gt=0
        ).values_list("public_id", flat=True)
    )
    from madoguchi.payments.services import payment_cancel_pending

    closed = 0
    for public_id in overdue:
        closed += payment_cancel_pending(
            municipality=municipality,
            purpose=PAYMENT_PURPOSE,
            object_id=str(public_id),
            reason="booking_expired",
            request=None,
        )
    return closed


def online_refund(booking: Booking, *, amount: int, actor: Any, request: HttpRequest | None) -> int:
    """Refund `amount` of the online payment that confirmed this booking, through its adapter (in the caller's
    transaction: if the provider refuses, the cancellation is not made either). Returns the yen refunded;
    0 when no such payment is recorded (the refund is then paid back by staff, as at the counter)."""
    from madoguchi.payments.selectors import payments_for_object
    from madoguchi.payments.services import payment_refund

    if amount <= 0 or not booking.payment_reference:
        return 0
    paid = next(
        (
            payment
            for payment in payments_for_object(booking.municipality, PAYMENT_PURPOSE, str(booking.public_id))
            if str(payment.public_id) == booking.payment_reference and payment.money_received
        ),
        None,
    )
    if paid is None:
        logger.warning("booking %s: paid online but its payment is not recorded", booking.public_id)
        return 0
    refundable = min(amount, paid.refundable_amount)
    if refundable <= 0:
        return 0
    with override("ja"):
        reason = str(_("施設予約の取消し（予約番号 %(number)s）") % {"number": booking.number})
    payment_refund(payment=paid, actor=actor, amount=refundable, reason=reason, request=request)
    return refundable
