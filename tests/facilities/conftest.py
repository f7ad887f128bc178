import datetime

import pytest
from django.utils import timezone

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.models import (
    Equipment,
    Facility,
    Reduction,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Room,
    TimeSlot,
)

from ..factories import enable_module, make_user


def next_open_day(start: datetime.date | None = None, *, offset: int = 3) -> datetime.date:
    """A day at least `offset` days ahead that is not a holiday, year-end day or Sunday."""
    import jpholiday

    day = (start or timezone.localdate()) + datetime.timedelta(days=offset)
    while (
        jpholiday.is_holiday(day)
        or day.weekday() == 6
        or (day.month == 12 and day.day >= 29)
        or (day.month == 1 and day.day <= 3)
    ):
        day += datetime.timedelta(days=1)
    return day


def make_facility(municipality, *, slug="kominkan", **overrides):
    data = {
        "slug": slug,
        "name": "中央公民館",
        "name_kana": "チュウオウコウミンカン",
        "name_en": "Central Community Centre",
        "kind": "community_centre",
        "area": "中央地区",
        "address_prefecture": "富山県",
        "address_city": "甲市",
        "address_town": "本町",
        "address_rest": "1-1",
        "latitude": "36.700000",
        "longitude": "137.200000",
        "open_weekdays": "012345",  # closed on Sundays
    }
    data.update(overrides)
    with municipality_scope(municipality):
        return Facility.objects.create(municipality=municipality, **data)


def make_room(facility, *, name="第1会議室", capacity=30, fees=(1000, 1500, 2000)):
    with municipality_scope(facility.municipality):
        room = Room.objects.create(municipality=facility.municipality, facility=facility, name=name, capacity=capacity)
        for (label, start, end), fee in zip((("午前", 9, 12), ("午後", 13, 17), ("夜間", 18, 21)), fees, strict=True):
            TimeSlot.objects.create(
                municipality=facility.municipality,
                room=room,
                label=label,
                label_en={"午前": "Morning", "午後": "Afternoon", "夜間": "Evening"}[label],
                starts_at=datetime.time(start),
                ends_at=datetime.time(end),
                fee=fee,
            )
        return room


def make_registration(
    municipality,
    user=None,
    *,
    kind=RegistrationKind.INDIVIDUAL,
    status=RegistrationStatus.APPROVED,
    resident=True,
    name=None,
):
    user = user or make_user()
    with municipality_scope(municipality):
        return Registration.objects.create(
            municipality=municipality,
            user=user,
            kind=kind,
            status=status,
            name=name or f"利用者{user.pk}",
            name_kana="リヨウシャ",
            group_key="" if kind == RegistrationKind.INDIVIDUAL else f"group{user.pk}",
            representative="" if kind == RegistrationKind.INDIVIDUAL else "代表 太郎",
            is_resident=resident,
            phone="0763000000",
            address="甲市本町1-1",
        )


@pytest.fixture
def facilities_a(city_a):
    enable_module(city_a, "facilities")
    return city_a


@pytest.fixture
def facility_a(facilities_a):
    return make_facility(facilities_a)


@pytest.fixture
def room_a(facility_a):
    return make_room(facility_a)


@pytest.fixture
def slots_a(room_a):
    with municipality_scope(room_a.municipality):
        return list(room_a.slots.order_by("starts_at"))


@pytest.fixture
def resident_a(facilities_a):
    return make_user(email="resident@example.jp")


@pytest.fixture
def registration_a(facilities_a, resident_a):
    return make_registration(facilities_a, resident_a)


@pytest.fixture
def reductions_a(facilities_a):
    with municipality_scope(facilities_a):
        return {
            100: Reduction.objects.create(municipality=facilities_a, name="全額免除", percent=100),
            50: Reduction.objects.create(municipality=facilities_a, name="5割減免", percent=50),
            30: Reduction.objects.create(
                municipality=facilities_a, name="3割減免", percent=30, requires_approval=False
            ),
        }


@pytest.fixture
def piano_a(facility_a):
    with municipality_scope(facility_a.municipality):
        return Equipment.objects.create(
            municipality=facility_a.municipality, facility=facility_a, name="ピアノ", fee=500
        )


@pytest.fixture
def open_day():
    return next_open_day()
