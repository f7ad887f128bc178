"""Demo: in 魚津市 (uozu), a lottery round open now for the month after next, with entries by the demo groups."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from madoguchi.core.models import Municipality
from madoguchi.facilities.models import Facility, Registration, RegistrationStatus

from . import services
from .models import LotteryOffer, LotteryRound

DEMO_MUNICIPALITY = "uozu"


def _month_after_next(today: datetime.date) -> datetime.date:
    index = today.year * 12 + today.month - 1 + 2
    return datetime.date(index // 12, index % 12 + 1, 1)


def seed_lottery(municipality: Municipality) -> None:
    if municipality.slug != DEMO_MUNICIPALITY or LotteryRound.objects.filter(municipality=municipality).exists():
        return
    facility = Facility.objects.filter(municipality=municipality).order_by("name_kana", "pk").first()
    if facility is None:
        return
    rooms = list(facility.rooms.filter(is_bookable=True).order_by("sort_order", "pk")[:2])
    if not rooms:
        return
    now = timezone.now()
    first = _month_after_next(timezone.localdate())
    lottery = LotteryRound(
        municipality=municipality,
        facility=facility,
        title=f"{facility.name} {first:%Y}年{first.month}月分 抽選",
        title_en=f"{facility.name_en or facility.name}: lottery for {first:%B %Y}",
        applies_from=now - datetime.timedelta(days=1),
        applies_until=now + datetime.timedelta(days=9),
        use_from=first,
        use_until=first + datetime.timedelta(days=13),
        max_entries=3,
        max_wins=2,
        max_preferences=3,
    )
    lottery = services.round_save(lottery=lottery, rooms=rooms, municipality=municipality, actor=None, request=None)
    lottery = services.round_open(lottery=lottery, actor=None, request=None)
    offers = list(LotteryOffer.objects.filter(round=lottery).order_by("date", "pk").values_list("pk", flat=True))
    rng = random.Random(municipality.code)  # noqa: S311 (demo data, reproducible on purpose)
    popular = offers[: max(6, len(offers) // 4)]  # weekend evenings are popular: entries crowd a few units
    registrations = Registration.objects.filter(
        municipality=municipality, status=RegistrationStatus.APPROVED
    ).select_related("user")
    for registration in registrations:
        for _n in range(2):
            services.entry_create(
                lottery=lottery,
                registration=registration,
                offer_ids=rng.sample(popular, k=min(3, len(popular))),
                actor=registration.user,
                request=None,
            )
