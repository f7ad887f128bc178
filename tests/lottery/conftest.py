import datetime

import pytest
from django.utils import timezone

from madoguchi.core.tenancy import municipality_scope
from madoguchi.lottery import services
from madoguchi.lottery.models import LotteryOffer, LotteryRound

from ..facilities.conftest import make_facility, make_registration, make_room, next_open_day
from ..factories import enable_module, make_user

__all__ = ["make_registration", "make_round", "offers_of"]


def make_round(facility, rooms, *, open_it=True, days=6, **overrides):
    municipality = facility.municipality
    now = timezone.now()
    use_from = overrides.pop("use_from", None) or next_open_day(offset=40)
    data = {
        "title": "中央公民館 抽選",
        "applies_from": now - datetime.timedelta(hours=1),
        "applies_until": now + datetime.timedelta(days=5),
        "use_from": use_from,
        "use_until": use_from + datetime.timedelta(days=days),
        "max_entries": 3,
        "max_wins": 2,
        "max_preferences": 3,
    }
    data.update(overrides)
    with municipality_scope(municipality):
        lottery = services.round_save(
            lottery=LotteryRound(municipality=municipality, facility=facility, **data),
            rooms=rooms,
            municipality=municipality,
            actor=None,
            request=None,
        )
        if open_it:
            lottery = services.round_open(lottery=lottery, actor=None, request=None)
        return lottery


def offers_of(lottery):
    with municipality_scope(lottery.municipality):
        return list(LotteryOffer.objects.filter(round=lottery).select_related("room", "slot").order_by("date", "pk"))


@pytest.fixture
def lottery_city(city_a):
    enable_module(city_a, "facilities")
    enable_module(city_a, "lottery")
    return city_a


@pytest.fixture
def facility(lottery_city):
    return make_facility(lottery_city)


@pytest.fixture
def rooms(facility):
    return [make_room(facility), make_room(facility, name="体育室", capacity=100)]


@pytest.fixture
def lottery(facility, rooms):
    return make_round(facility, rooms)


@pytest.fixture
def resident(lottery_city):
    return make_user(email="entrant@example.jp")


@pytest.fixture
def registration(lottery_city, resident):
    return make_registration(lottery_city, resident)


def enter(lottery, registration, offers, **kwargs):
    with municipality_scope(lottery.municipality):
        return services.entry_create(
            lottery=lottery,
            registration=registration,
            offer_ids=[offer.pk for offer in offers],
            actor=registration.user,
            request=None,
            **kwargs,
        )


def close_and_draw(lottery, actor=None):
    after = lottery.applies_until + datetime.timedelta(seconds=1)
    with municipality_scope(lottery.municipality):
        services.round_close(lottery=lottery, actor=actor, request=None, now=after)
        services.round_draw(lottery=lottery, actor=actor, request=None)
        lottery.refresh_from_db()
    return lottery
