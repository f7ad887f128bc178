"""KPI providers, the manifest, and the demo round in 魚津市."""

import datetime

import pytest
from django.utils import timezone

from madoguchi.core.registry import registry
from madoguchi.core.tenancy import municipality_scope
from madoguchi.lottery import kpis
from madoguchi.lottery.demo import seed_lottery
from madoguchi.lottery.models import LotteryEntry, LotteryRound, RoundStatus

from ..factories import make_municipality
from .conftest import close_and_draw, enter, make_registration, offers_of


def _fiscal_year(day: datetime.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def test_kpis_count_entries_and_the_win_rate_per_fiscal_year(lottery):
    offers = offers_of(lottery)
    year = _fiscal_year(lottery.use_from)
    with municipality_scope(lottery.municipality):
        assert kpis.lottery_win_rate(lottery.municipality, fiscal_year=year).value is None
    for _n in range(4):
        enter(lottery, make_registration(lottery.municipality), [offers[0]])
    withdrawn = enter(lottery, make_registration(lottery.municipality), [offers[1]])
    from madoguchi.lottery import services

    with municipality_scope(lottery.municipality):
        services.entry_withdraw(entry=withdrawn, actor=withdrawn.created_by, request=None)
        assert kpis.lottery_entries(lottery.municipality, fiscal_year=year).value == 4
        assert kpis.lottery_entries(lottery.municipality, fiscal_year=year - 1).value == 0
    close_and_draw(lottery)
    with municipality_scope(lottery.municipality):
        assert kpis.lottery_win_rate(lottery.municipality, fiscal_year=year).value == 0.25


def test_the_manifest_is_registered_with_its_kpis():
    manifest = next(m for m in registry.all() if m.key == "lottery")
    assert str(manifest.name) == "抽選予約"
    assert [p.__name__ for p in manifest.kpi_providers] == ["lottery_entries", "lottery_win_rate"]


@pytest.mark.django_db
def test_the_demo_opens_a_round_in_uozu_with_entries():
    from madoguchi.facilities.demo import seed_facilities

    uozu = make_municipality(slug="uozu", name="魚津市")
    other = make_municipality()
    with municipality_scope(uozu):
        seed_facilities(uozu)
        seed_lottery(uozu)
        seed_lottery(uozu)  # a second run adds nothing
        lottery = LotteryRound.objects.get(municipality=uozu)
        assert lottery.status == RoundStatus.OPEN and lottery.applies_from <= timezone.now() < lottery.applies_until
        assert LotteryEntry.objects.filter(round=lottery).count() >= 4
    with municipality_scope(other):
        seed_lottery(other)
        assert not LotteryRound.objects.filter(municipality=other).exists()
