"""KPI providers, the manifest, and the demo round in 魚津市."""

import datetime

import pytest
from django.utils import timezone

from madoguchi.core.errors import ServiceError
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


def test_done_when_a_group_registers_is_approved_enters_wins_and_pays(lottery, django_capture_on_commit_callbacks):
    """Issue 4 "Done when", lottery steps: 団体登録 → approval → entry → draw → seed verifies → 仮予約 → paid."""
    from madoguchi.facilities import services as facility_services
    from madoguchi.facilities.models import BookingSource, BookingStatus, RegistrationKind
    from madoguchi.lottery import selectors, services
    from madoguchi.lottery.management.commands.lottery_verify import verify
    from madoguchi.lottery.models import LotteryWin

    from ..factories import make_staff, make_user

    city = lottery.municipality
    leader = make_user(email="leader@example.jp")
    staff = make_staff(city)
    with municipality_scope(city):
        group = facility_services.registration_create(
            municipality=city,
            user=leader,
            kind=RegistrationKind.GROUP,
            data={
                "name": "魚津バドミントンクラブ",
                "name_kana": "ウオヅバドミントンクラブ",
                "representative": "魚津 太郎",
                "members_count": 12,
                "resident_members_count": 10,
                "phone": "0765230000",
                "address": "富山県魚津市釈迦堂1-10-1",
            },
            request=None,
        )
        with pytest.raises(ServiceError, match="承認"):  # not approved yet
            services.entry_create(
                lottery=lottery, registration=group, offer_ids=[offers_of(lottery)[0].pk], actor=leader, request=None
            )
        group = facility_services.registration_decide(registration=group, action="approve", actor=staff, request=None)
    entry = enter(lottery, group, offers_of(lottery)[:2])
    with django_capture_on_commit_callbacks(execute=True):
        lottery = close_and_draw(lottery, actor=staff)
    with municipality_scope(city):
        services.round_publish(lottery=lottery, actor=staff, request=None)
        lottery.refresh_from_db()
        assert verify(selectors.published_result(lottery)) == []
        win = LotteryWin.objects.select_related("booking").get(entry=entry)
        booking = win.booking
        assert booking.source == BookingSource.LOTTERY and booking.status == BookingStatus.PROVISIONAL
        paid = facility_services.booking_mark_paid(booking, reference="test-gateway-1", amount=booking.fee_total)
        assert paid.status == BookingStatus.CONFIRMED
