"""Demo facilities for each demo municipality (development only): a community centre, a gym, a sports field
and a meeting-room building near the city hall, 減免区分, two approved groups and a month of bookings.
Idempotent: a municipality that already has the demo facilities is left as it is."""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from madoguchi.core.models import Municipality

from .models import (
    BookedUnit,
    Booking,
    BookingChannel,
    BookingSource,
    BookingStatus,
    Equipment,
    Facility,
    PaymentMethod,
    Reduction,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Room,
    TimeSlot,
    normalise_group_name,
)
from .services import closed_reason

# City-hall coordinates of the demo municipalities; facilities sit a few hundred metres around them.
CENTRES = {
    "nanto": (Decimal("36.557500"), Decimal("136.875000"), "福野"),
    "oyabe": (Decimal("36.675500"), Decimal("136.868700"), "本町"),
    "uozu": (Decimal("36.827300"), Decimal("137.409300"), "釈迦堂"),
    "hakusan": (Decimal("36.514600"), Decimal("136.565500"), "倉光"),
    "nankoku": (Decimal("33.575600"), Decimal("133.641300"), "大そね"),
}

SLOTS = (("午前", "Morning", 9, 12), ("午後", "Afternoon", 13, 17), ("夜間", "Evening", 18, 21))

FACILITIES: tuple[dict[str, Any], ...] = (
    {
        "slug": "chuo-kominkan",
        "name": "中央公民館",
        "name_kana": "チュウオウコウミンカン",
        "name_en": "Central Community Centre",
        "kind": "community_centre",
        "offset": (Decimal("0.002"), Decimal("0.001")),
        "barrier_free": "車椅子対応エレベーター\n多目的トイレ（1階）\n点字ブロック\n磁気ループ（大ホール）",
        "barrier_free_en": "Wheelchair-accessible lift; accessible toilet (1F); tactile paving; hearing loop (main hall)",
        "access": "市役所から徒歩5分。市営バス「公民館前」下車すぐ。",
        "access_en": "5 minutes on foot from the city hall; city bus stop Kominkan-mae.",
        "parking": "60台（無料）",
        "rooms": (
            ("大ホール", "Main hall", 200, (3000, 4000, 4000)),
            ("和室", "Japanese-style room", 20, (800, 1000, 1000)),
            ("調理実習室", "Cooking room", 24, (1200, 1500, 1500)),
        ),
        "equipment": (("ピアノ", "Piano", 1000), ("プロジェクター", "Projector", 500), ("放送設備", "PA system", 800)),
    },
    {
        "slug": "sogo-taiikukan",
        "name": "総合体育館",
        "name_kana": "ソウゴウタイイクカン",
        "name_en": "General Gymnasium",
        "kind": "gym",
        "offset": (Decimal("-0.004"), Decimal("0.003")),
        "barrier_free": "スロープ（正面入口）\n車椅子用トイレ\n車椅子用駐車区画 4台",
        "barrier_free_en": "Ramp at the main entrance; wheelchair toilet; 4 accessible parking spaces",
        "access": "市役所から車で5分。",
        "access_en": "5 minutes by car from the city hall.",
        "parking": "150台（無料）",
        "rooms": (
            ("アリーナ（全面）", "Arena (full)", 300, (6000, 8000, 8000)),
            ("卓球室", "Table tennis room", 30, (600, 800, 800)),
            ("トレーニング室", "Training room", 20, (400, 500, 500)),
        ),
        "equipment": (("照明（アリーナ）", "Arena lighting", 1500),),
    },
    {
        "slug": "undo-koen-ground",
        "name": "運動公園グラウンド",
        "name_kana": "ウンドウコウエングラウンド",
        "name_en": "Sports Park Ground",
        "kind": "field",
        "offset": (Decimal("0.006"), Decimal("-0.005")),
        "barrier_free": "車椅子用トイレ（管理棟）",
        "barrier_free_en": "Wheelchair toilet in the management building",
        "access": "市役所から車で10分。",
        "access_en": "10 minutes by car from the city hall.",
        "parking": "200台（無料）",
        "rooms": (
            ("野球場", "Baseball field", 100, (2000, 2500, 5000)),
            ("多目的広場", "Multi-purpose field", 100, (1500, 2000, 4000)),
        ),
        "equipment": (("夜間照明", "Floodlights", 3000),),
    },
    {
        "slug": "shimin-center",
        "name": "市民交流センター",
        "name_kana": "シミンコウリュウセンター",
        "name_en": "Civic Exchange Centre",
        "kind": "meeting_room",
        "offset": (Decimal("-0.001"), Decimal("-0.002")),
        "barrier_free": "全館段差なし\nエレベーター\n多目的トイレ（各階）\n筆談ボード",
        "barrier_free_en": "Step-free throughout; lift; accessible toilets on every floor; writing boards",
        "access": "駅から徒歩3分。",
        "access_en": "3 minutes on foot from the station.",
        "parking": "30台（2時間無料）",
        "rooms": (
            ("第1会議室", "Meeting room 1", 30, (800, 1000, 1000)),
            ("第2会議室", "Meeting room 2", 30, (800, 1000, 1000)),
            ("研修室", "Seminar room", 60, (1500, 2000, 2000)),
            ("多目的室", "Multi-purpose room", 40, (1000, 1300, 1300)),
        ),
        "equipment": (("プロジェクター", "Projector", 500), ("ホワイトボード", "Whiteboard", 0)),
    },
)

REDUCTIONS = (
    ("市主催・共催事業（全額免除）", "City events (free)", 100, True),
    ("社会教育関係団体（5割減免）", "Social education groups (50%)", 50, True),
    ("障害者・高齢者団体（3割減免）", "Groups of people with disabilities or older people (30%)", 30, True),
)

GROUPS = (
    ("demo-volleyball", "ママさんバレーボールクラブ", "ママサンバレーボールクラブ", "山田 花子", 18, 16),
    ("demo-chorus", "市民合唱団", "シミンガッショウダン", "佐藤 一郎", 35, 30),
)


def _user(email: str) -> Any:
    from madoguchi.accounts.models import Profile, User
    from madoguchi.demo.data import DEMO_PASSWORD

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, email_verified_at=timezone.now())
        Profile.objects.get_or_create(user=user)
    return user


def seed_facilities(municipality: Municipality) -> None:
    if Facility.objects.filter(municipality=municipality, slug="chuo-kominkan").exists():
        return
    lat, lng, town = CENTRES.get(municipality.slug, (Decimal("36.700000"), Decimal("137.200000"), ""))
    prefecture = municipality.prefecture
    rooms: list[Room] = []
    for data in FACILITIES:
        facility = Facility.objects.create(
            municipality=municipality,
            slug=data["slug"],
            name=data["name"],
            name_kana=data["name_kana"],
            name_en=data["name_en"],
            kind=data["kind"],
            area=f"{town}地区" if town else "",
            postal_code=municipality.postal_code or "",
            address_prefecture=prefecture,
            address_city=municipality.name,
            address_town=town,
            address_rest=f"{1 + len(rooms)}番地",
            latitude=lat + data["offset"][0],
            longitude=lng + data["offset"][1],
            phone=municipality.contact_phone,
            open_weekdays="0123456" if data["kind"] != "meeting_room" else "012345",
            barrier_free=data["barrier_free"],
            barrier_free_en=data["barrier_free_en"],
            access=data["access"],
            access_en=data["access_en"],
            parking=data["parking"],
            description=f"{municipality.name}の{data['name']}です。",
            description_en=f"The {data['name_en']} of {municipality.name_en}.",
        )
        for order, (name, name_en, capacity, fees) in enumerate(data["rooms"]):
            room = Room.objects.create(
                municipality=municipality,
                facility=facility,
                name=name,
                name_en=name_en,
                capacity=capacity,
                sort_order=order,
            )
            for (label, label_en, start, end), fee in zip(SLOTS, fees, strict=True):
                TimeSlot.objects.create(
                    municipality=municipality,
                    room=room,
                    label=label,
                    label_en=label_en,
                    starts_at=datetime.time(start),
                    ends_at=datetime.time(end),
                    fee=fee,
                )
            rooms.append(room)
        for name, name_en, fee in data["equipment"]:
            Equipment.objects.create(municipality=municipality, facility=facility, name=name, name_en=name_en, fee=fee)
    for name, name_en, percent, approval in REDUCTIONS:
        Reduction.objects.get_or_create(
            municipality=municipality,
            name=name,
            defaults={"name_en": name_en, "percent": percent, "requires_approval": approval},
        )
    registrations = []
    for local, name, kana, representative, members, residents in GROUPS:
        user = _user(f"{local}@{municipality.slug}.example.jp")
        registrations.append(
            Registration.objects.create(
                municipality=municipality,
                user=user,
                kind=RegistrationKind.GROUP,
                status=RegistrationStatus.APPROVED,
                name=name,
                name_kana=kana,
                group_key=normalise_group_name(name),
                representative=representative,
                members_count=members,
                resident_members_count=residents,
                is_resident=True,
                phone=municipality.contact_phone,
                address=f"{prefecture}{municipality.name}{town}",
                decided_at=timezone.now(),
            )
        )
    _seed_bookings(municipality, rooms, registrations)


def _seed_bookings(municipality: Municipality, rooms: list[Room], registrations: list[Registration]) -> None:
    """About 40% of the next 30 days' units, confirmed (paid online or at the counter) or awaiting payment."""
    rng = random.Random(municipality.code)  # noqa: S311 (demo data, reproducible on purpose)
    today = timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    bookings: list[Booking] = []
    units: list[tuple[int, Room, TimeSlot, datetime.date]] = []
    slots = {room.pk: list(room.slots.order_by("starts_at")) for room in rooms}
    for offset in range(1, 31):
        day = today + datetime.timedelta(days=offset)
        for room in rooms:
            if closed_reason(room.facility, day):
                continue
            for slot in slots[room.pk]:
                if rng.random() >= 0.4:
                    continue
                registration = rng.choice(registrations)
                paid = rng.random() < 0.8
                public_id = uuid.uuid4()
                bookings.append(
                    Booking(
                        municipality=municipality,
                        public_id=public_id,
                        number=f"F{day:%y%m%d}-{public_id.hex[:8].upper()}",
                        room=room,
                        date=day,
                        registration=registration,
                        status=BookingStatus.CONFIRMED if paid else BookingStatus.PROVISIONAL,
                        source=BookingSource.FIRST_COME,
                        channel=BookingChannel.ONLINE if rng.random() < 0.7 else BookingChannel.PHONE,
                        purpose=rng.choice(["練習", "定例会", "発表会の準備", "講習会"]),
                        attendees=min(room.capacity, 12),
                        fee_room=slot.fee,
                        fee_total=slot.fee,
                        payment_due_at=None if paid else now + datetime.timedelta(hours=72),
                        payment_method=(PaymentMethod.ONLINE if rng.random() < 0.6 else PaymentMethod.COUNTER)
                        if paid
                        else "",
                        paid_at=now if paid else None,
                    )
                )
                units.append((len(bookings) - 1, room, slot, day))
    Booking.objects.bulk_create(bookings)
    BookedUnit.objects.bulk_create(
        BookedUnit(
            municipality=municipality,
            booking=bookings[index],
            room=room,
            slot=slot,
            date=day,
            starts=datetime.datetime.combine(day, slot.starts_at, tzinfo=tz),
            ends=datetime.datetime.combine(day, slot.ends_at, tzinfo=tz),
            fee=slot.fee,
        )
        for index, room, slot, day in units
    )
