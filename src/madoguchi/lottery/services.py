"""Writes of the lottery: rounds (create, edit, open, close, draw, publish), entries (enter, withdraw,
exclude). Every write is `@transaction.atomic`, keyword-only, validated, and audited in the same transaction.

Opening a round draws its 32-byte seed with `secrets`, stores it encrypted (SecretBox) and publishes only its
SHA-256 commitment; the units on offer are held by facilities blocks so first-come booking cannot take them.
The draw (draw.run_draw) is a pure function of the seed and the canonical entry list; winners get 仮予約
through `facilities.services.booking_create(source=LOTTERY)`, the holds are released, and every unit nobody
won is free for first-come booking from then on. Publishing reveals the seed.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.encryption import SecretBox
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Municipality
from madoguchi.facilities import services as facility_services
from madoguchi.facilities.models import (
    BookedUnit,
    Booking,
    BookingChannel,
    BookingSource,
    BookingStatus,
    Registration,
    RegistrationStatus,
    Room,
)

from . import draw
from .models import (
    EntryStatus,
    LotteryEntry,
    LotteryOffer,
    LotteryPreference,
    LotteryRound,
    LotteryWin,
    RoundStatus,
)
from .tasks import notify_losers_task

SEED_BOX = SecretBox("madoguchi-lottery-seed")
MAX_OFFERS = 5000


def _audit(action: str, *, actor: Any, lottery: LotteryRound, request: HttpRequest | None, **details: Any) -> None:
    audit_record(
        action=f"lottery.{action}",
        actor=actor,
        municipality=lottery.municipality,
        object_type="lottery_round",
        object_id=str(lottery.public_id),
        request=request,
        details=details,
    )


def _locked(lottery: LotteryRound) -> LotteryRound:
    return LotteryRound.objects.select_for_update().select_related("facility").get(pk=lottery.pk)


def seed_of(lottery: LotteryRound) -> bytes:
    return bytes.fromhex(SEED_BOX.decrypt(lottery.seed_encrypted))


# --- Rounds (staff) ---------------------------------------------------------------------------------------


@transaction.atomic
def round_save(
    *, lottery: LotteryRound, rooms: list[Room], municipality: Municipality, actor: Any, request: HttpRequest | None
) -> LotteryRound:
    """Create or edit a round while it is a draft (the rooms must belong to the round's facility)."""
    creating = lottery.pk is None
    if lottery.municipality_id is None:
        lottery.municipality = municipality
    if lottery.municipality_id != municipality.pk or lottery.facility.municipality_id != municipality.pk:
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if not creating and LotteryRound.objects.get(pk=lottery.pk).status != RoundStatus.DRAFT:
        raise ServiceError("not_draft", _("受付を始めた抽選は変更できません。"), status=409)
    if not rooms:
        raise ServiceError("rooms_required", _("対象の部屋・区画を1つ以上選んでください。"), field="rooms")
    if any(room.facility_id != lottery.facility_id for room in rooms):
        raise ServiceError("room_invalid", _("この施設の部屋・区画を選んでください。"), field="rooms")
    if lottery.applies_from and lottery.applies_until and lottery.applies_from >= lottery.applies_until:
        raise ServiceError("window_order", _("申込締切は申込開始より後にしてください。"), field="applies_until")
    if lottery.use_from and lottery.use_until and lottery.use_from > lottery.use_until:
        raise ServiceError("use_order", _("利用期間の末日は初日以降にしてください。"), field="use_until")
    if lottery.applies_until and lottery.use_from and lottery.applies_until.date() >= lottery.use_from:
        raise ServiceError("use_before_close", _("利用期間は申込締切より後の日にしてください。"), field="use_from")
    if lottery.use_from and lottery.use_until and (lottery.use_until - lottery.use_from).days > 92:
        raise ServiceError("use_too_long", _("利用期間は3か月以内にしてください。"), field="use_until")
    if lottery.max_wins and lottery.max_entries and lottery.max_wins > lottery.max_entries:
        raise ServiceError("wins_over_entries", _("当選数の上限は申込数の上限以下にしてください。"), field="max_wins")
    if creating:
        lottery.created_by = actor
    full_clean_or_refuse(lottery)
    lottery.save()
    lottery.rooms.set(rooms)
    _audit("round_created" if creating else "round_updated", actor=actor, lottery=lottery, request=request)
    return lottery


@transaction.atomic
def round_open(*, lottery: LotteryRound, actor: Any, request: HttpRequest | None) -> LotteryRound:
    """draft → open: the seed is drawn and committed, the offers are listed and held off first-come booking."""
    lottery = _locked(lottery)
    if lottery.status != RoundStatus.DRAFT:
        raise ServiceError("not_draft", _("この抽選はすでに受付を始めています。"), status=409)
    if lottery.use_from <= timezone.localdate():
        raise ServiceError("use_past", _("利用期間が始まっている抽選は受付を始められません。"), field="use_from")
    facility = lottery.facility
    rooms = list(lottery.rooms.filter(is_bookable=True).prefetch_related("slots"))
    taken = set(
        BookedUnit.objects.filter(
            room__in=rooms, date__gte=lottery.use_from, date__lte=lottery.use_until, is_active=True
        ).values_list("room_id", "date", "slot_id")
    )
    offers: list[LotteryOffer] = []
    day = lottery.use_from
    while day <= lottery.use_until:
        if facility_services.closed_reason(facility, day) is None:
            for room in rooms:
                for slot in room.slots.all():
                    if slot.is_active and (room.pk, day, slot.pk) not in taken:
                        offers.append(
                            LotteryOffer(
                                municipality=lottery.municipality, round=lottery, room=room, slot=slot, date=day
                            )
                        )
        day += datetime.timedelta(days=1)
    if not offers:
        raise ServiceError("no_offers", _("利用期間に抽選にかけられる空き枠がありません。"), field="use_from")
    if len(offers) > MAX_OFFERS:
        raise ServiceError(
            "too_many_offers", _("抽選にかける枠が多すぎます。利用期間を短くしてください。"), field="use_until"
        )
    LotteryOffer.objects.bulk_create(offers)
    # Hold every offered unit (one facilities block per room and day) so first-come booking cannot take it.
    by_room_day: dict[tuple[int, datetime.date], list[LotteryOffer]] = defaultdict(list)
    for offer in LotteryOffer.objects.filter(round=lottery).select_related("room", "slot"):
        by_room_day[(offer.room_id, offer.date)].append(offer)
    note = str(_("抽選予約の対象（%(title)s）") % {"title": lottery.title})
    limit = facility_services.MAX_UNITS_PER_BOOKING
    for day_offers in by_room_day.values():
        for start in range(0, len(day_offers), limit):  # an hourly room has more units a day than one block holds
            group = day_offers[start : start + limit]
            hold = facility_services.booking_block(
                municipality=lottery.municipality,
                room=group[0].room,
                date=group[0].date,
                slots=[offer.slot for offer in group],
                actor=actor,
                note=note,
                request=request,
            )
            LotteryOffer.objects.filter(pk__in=[offer.pk for offer in group]).update(hold=hold)
    seed = secrets.token_bytes(32)
    lottery.seed_encrypted = SEED_BOX.encrypt(seed.hex())
    lottery.commitment = draw.commitment(seed)
    lottery.status = RoundStatus.OPEN
    full_clean_or_refuse(lottery)
    lottery.save()
    _audit(
        "round_opened", actor=actor, lottery=lottery, request=request, offers=len(offers), commitment=lottery.commitment
    )
    return lottery


@transaction.atomic
def round_close(
    *, lottery: LotteryRound, actor: Any, request: HttpRequest | None, now: datetime.datetime | None = None
) -> LotteryRound:
    lottery = _locked(lottery)
    if lottery.status != RoundStatus.OPEN:
        raise ServiceError("not_open", _("受付中の抽選ではありません。"), status=409)
    if (now or timezone.now()) < lottery.applies_until:
        raise ServiceError("window_running", _("申込締切の前は受付を終了できません。"), status=409)
    lottery.status = RoundStatus.CLOSED
    lottery.save(update_fields=["status"])
    _audit("round_closed", actor=actor, lottery=lottery, request=request)
    return lottery


def offer_code(date: datetime.date, room_public_id: Any, starts_at: datetime.time) -> str:
    """The offer's id in the published result (LotteryOffer.code without loading the objects)."""
    return f"{date.isoformat()}/{room_public_id.hex[:8]}/{starts_at:%H%M}"


def canonical_entries(lottery: LotteryRound) -> list[dict[str, Any]]:
    """The draw's input: active entries of registrations still approved, sorted by entry id, each with its
    preferences in rank order. Three flat queries of values, no model instances (10,000 entries in well under
    a second)."""
    codes = {
        pk: offer_code(date, room_public_id, starts_at)
        for pk, date, room_public_id, starts_at in LotteryOffer.objects.filter(round=lottery).values_list(
            "pk", "date", "room__public_id", "slot__starts_at"
        )
    }
    eligible = LotteryEntry.objects.filter(
        round=lottery, status=EntryStatus.ACTIVE, registration__status=RegistrationStatus.APPROVED
    )
    preferences: dict[int, list[str]] = defaultdict(list)
    for entry_id, offer_id in (
        LotteryPreference.objects.filter(entry__in=eligible)
        .order_by("entry_id", "rank")
        .values_list("entry_id", "offer_id")
    ):
        preferences[entry_id].append(codes[offer_id])
    return [
        {"id": code, "holder": holder, "preferences": preferences.get(pk, [])}
        for pk, code, holder in eligible.order_by("code").values_list("pk", "code", "holder_code")
    ]


@transaction.atomic
def round_draw(
    *, lottery: LotteryRound, actor: Any, request: HttpRequest | None, now: datetime.datetime | None = None
) -> LotteryRound:
    """closed → drawn: run the draw, release the holds, give every winner a 仮予約 (its e-mail comes from the
    facilities services); once committed, a task tells every registration that won nothing."""
    now = now or timezone.now()
    lottery = _locked(lottery)
    if lottery.status != RoundStatus.CLOSED:
        raise ServiceError("not_closed", _("受付を終了してから抽選してください。"), status=409)
    entries = canonical_entries(lottery)
    results = draw.run_draw(seed_of(lottery), entries, max_wins=lottery.max_wins)
    offers = {offer.code: offer for offer in LotteryOffer.objects.filter(round=lottery).select_related("room", "slot")}
    by_code = {
        entry.code: entry
        for entry in LotteryEntry.objects.filter(
            round=lottery, code__in=[row["entry"] for row in results]
        ).select_related("registration")
    }
    _release_holds(lottery, [offer.hold_id for offer in offers.values() if offer.hold_id], actor, request)
    due_default = now + datetime.timedelta(days=lottery.payment_days)
    for row in results:
        offer, entry = offers[row["offer"]], by_code[row["entry"]]
        starts = timezone.make_aware(
            datetime.datetime.combine(offer.date, offer.slot.starts_at), timezone.get_current_timezone()
        )
        booking = facility_services.booking_create(
            municipality=lottery.municipality,
            room=offer.room,
            date=offer.date,
            slots=[offer.slot],
            registration=entry.registration,
            actor=actor,
            request=request,
            purpose=str(_("抽選予約（%(title)s）") % {"title": lottery.title}),
            source=BookingSource.LOTTERY,
            channel=BookingChannel.ONLINE,
            payment_due_at=min(due_default, starts),
            now=now,
        )
        LotteryWin.objects.create(
            municipality=lottery.municipality,
            round=lottery,
            entry=entry,
            offer=offer,
            rank=row["rank"],
            booking=booking,
        )
    municipality_pk, round_pk = lottery.municipality_id, lottery.pk
    transaction.on_commit(lambda: notify_losers_task.enqueue(municipality_pk, round_pk))
    lottery.status = RoundStatus.DRAWN
    lottery.drawn_at = now
    lottery.save(update_fields=["status", "drawn_at"])
    # The digest of the exact draw input lets an auditor match the published entry list to this event.
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    _audit(
        "round_drawn",
        actor=actor,
        lottery=lottery,
        request=request,
        entries=len(entries),
        wins=len(results),
        input_sha256=digest,
    )
    return lottery


def _release_holds(lottery: LotteryRound, hold_ids: list[int], actor: Any, request: HttpRequest | None) -> None:
    """Free the units the round held. The holds are facilities blocks that only this round created; the
    facilities services cannot cancel a block (a cancelled booking must have a registration, constraint
    booking_has_registration), so the round deletes its own blocks, and the audit event keeps their numbers."""
    holds = Booking.objects.filter(
        municipality=lottery.municipality, pk__in=set(hold_ids), status=BookingStatus.BLOCKED, registration__isnull=True
    )
    numbers = sorted(holds.values_list("number", flat=True))
    BookedUnit.objects.filter(booking__in=holds).delete()
    holds.delete()
    _audit("holds_released", actor=actor, lottery=lottery, request=request, holds=numbers)


@transaction.atomic
def round_publish(*, lottery: LotteryRound, actor: Any, request: HttpRequest | None) -> LotteryRound:
    """drawn → published: the seed is revealed, so anyone can re-run the draw from the published JSON."""
    lottery = _locked(lottery)
    if lottery.status != RoundStatus.DRAWN:
        raise ServiceError("not_drawn", _("抽選が済んでいません。"), status=409)
    seed = seed_of(lottery)
    if draw.commitment(seed) != lottery.commitment:  # a corrupted store must never publish a wrong seed
        raise ServiceError("commitment_mismatch", _("保存された乱数が公表済みのハッシュと一致しません。"), status=500)
    lottery.seed_revealed = seed.hex()
    lottery.status = RoundStatus.PUBLISHED
    lottery.published_at = timezone.now()
    lottery.save(update_fields=["seed_revealed", "status", "published_at"])
    _audit("round_published", actor=actor, lottery=lottery, request=request)
    return lottery


# --- Entries (residents) ----------------------------------------------------------------------------------


def _pseudonym(*parts: str) -> str:
    key = hashlib.sha256(f"madoguchi-lottery-pseudonym:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()[:16]


def window_is_open(lottery: LotteryRound, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return lottery.status == RoundStatus.OPEN and lottery.applies_from <= now < lottery.applies_until


@transaction.atomic
def entry_create(
    *,
    lottery: LotteryRound,
    registration: Registration,
    offer_ids: list[int],
    actor: Any,
    request: HttpRequest | None,
    request_token: str = "",
    now: datetime.datetime | None = None,
) -> LotteryEntry:
    """Enter the round with offers in order of preference (第1希望 first). A replay of the same one-time
    token returns the first entry."""
    if registration.municipality_id != lottery.municipality_id or registration.user_id != getattr(actor, "pk", None):
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if request_token:
        replay = LotteryEntry.objects.filter(round=lottery, created_by=actor, request_token=request_token).first()
        if replay is not None:
            return replay
    lottery = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
    if not window_is_open(lottery, now):
        raise ServiceError("window_closed", _("この抽選は申込期間外です。"), status=409)
    if registration.status != RegistrationStatus.APPROVED:
        raise ServiceError(
            "registration_not_approved",
            _("利用者登録が承認されていないか、利用停止中のため申し込めません。"),
            field="registration",
            status=403,
        )
    if not offer_ids:
        raise ServiceError("preferences_required", _("第1希望の枠を選んでください。"), field="preferences")
    if len(offer_ids) > lottery.max_preferences:
        raise ServiceError(
            "too_many_preferences",
            _("希望は第%(n)s希望までです。") % {"n": lottery.max_preferences},
            field="preferences",
        )
    if len(set(offer_ids)) != len(offer_ids):
        raise ServiceError("duplicate_preference", _("同じ枠を2回以上希望することはできません。"), field="preferences")
    offers = {offer.pk: offer for offer in LotteryOffer.objects.filter(round=lottery, pk__in=offer_ids)}
    if len(offers) != len(offer_ids):
        raise ServiceError("offer_invalid", _("選んだ枠はこの抽選にありません。"), field="preferences")
    active = LotteryEntry.objects.select_for_update().filter(
        round=lottery, registration=registration, status=EntryStatus.ACTIVE
    )
    used = set(active.values_list("ordinal", flat=True))
    free = [n for n in range(1, lottery.max_entries + 1) if n not in used]
    if not free:
        raise ServiceError(
            "too_many_entries",
            _("この抽選に申し込めるのは1登録につき%(n)s件までです。") % {"n": lottery.max_entries},
            field="preferences",
        )
    entry = LotteryEntry(
        municipality=lottery.municipality,
        round=lottery,
        registration=registration,
        code=secrets.token_hex(8),
        holder_code=_pseudonym(str(lottery.public_id), str(registration.public_id)),
        ordinal=free[0],
        request_token=request_token,
        created_by=actor,
    )
    full_clean_or_refuse(entry)
    try:
        with transaction.atomic():
            entry.save()
            LotteryPreference.objects.bulk_create(
                [
                    LotteryPreference(municipality=lottery.municipality, entry=entry, offer=offers[offer_id], rank=rank)
                    for rank, offer_id in enumerate(offer_ids, start=1)
                ]
            )
    except IntegrityError as exc:  # a concurrent entry took the same place
        raise ServiceError(
            "too_many_entries",
            _("この抽選に申し込めるのは1登録につき%(n)s件までです。") % {"n": lottery.max_entries},
            field="preferences",
            status=409,
        ) from exc
    audit_record(
        action="lottery.entry_created",
        actor=actor,
        municipality=lottery.municipality,
        object_type="lottery_entry",
        object_id=str(entry.public_id),
        request=request,
        details={"round": str(lottery.public_id), "preferences": len(offer_ids)},
    )
    return entry


@transaction.atomic
def entry_withdraw(
    *, entry: LotteryEntry, actor: Any, request: HttpRequest | None, now: datetime.datetime | None = None
) -> LotteryEntry:
    entry = LotteryEntry.objects.select_for_update().select_related("round").get(pk=entry.pk)
    if entry.created_by_id != getattr(actor, "pk", None):
        raise ServiceError("not_found", _("見つかりません。"), status=404)
    if entry.status != EntryStatus.ACTIVE:
        return entry  # idempotent: already withdrawn or excluded
    if not window_is_open(entry.round, now):
        raise ServiceError("window_closed", _("申込期間が終わったため取り下げられません。"), status=409)
    entry.status = EntryStatus.WITHDRAWN
    entry.ordinal = None
    entry.save(update_fields=["status", "ordinal"])
    audit_record(
        action="lottery.entry_withdrawn",
        actor=actor,
        municipality=entry.municipality,
        object_type="lottery_entry",
        object_id=str(entry.public_id),
        request=request,
    )
    return entry


@transaction.atomic
def entry_exclude(*, entry: LotteryEntry, reason: str, actor: Any, request: HttpRequest | None) -> LotteryEntry:
    """Staff exclude an entry before the draw (multi-account gaming, say), with a reason."""
    entry = LotteryEntry.objects.select_for_update().select_related("round").get(pk=entry.pk)
    if entry.round.status not in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise ServiceError("already_drawn", _("抽選の後は除外できません。"), status=409)
    reason = reason.strip()
    if not reason:
        raise ServiceError("reason_required", _("除外する理由を入力してください。"), field="reason")
    if entry.status != EntryStatus.ACTIVE:
        raise ServiceError("not_active", _("この申込はすでに取り下げられているか、除外されています。"), status=409)
    entry.status = EntryStatus.EXCLUDED
    entry.ordinal = None
    entry.exclusion_reason = reason[:400]
    entry.decided_by = actor
    entry.save(update_fields=["status", "ordinal", "exclusion_reason", "decided_by"])
    audit_record(
        action="lottery.entry_excluded",
        actor=actor,
        municipality=entry.municipality,
        object_type="lottery_entry",
        object_id=str(entry.public_id),
        request=request,
        details={"round": str(entry.round.public_id), "reason": entry.exclusion_reason},
    )
    return entry
