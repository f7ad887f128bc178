"""抽選予約 at a phone viewport: a resident with an approved registration reads the round page (commitment),
enters with two ranked choices, sees the entry; after the draw and publication the results page shows the
revealed seed and the pseudonymous winners. axe-core checks every page visited (0 serious or critical)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from madoguchi.core.tenancy import municipality_scope
from madoguchi.lottery import services
from madoguchi.lottery.models import LotteryEntry
from tests.facilities.conftest import make_facility, make_registration, make_room
from tests.factories import PASSWORD, enable_module, make_municipality, make_user
from tests.lottery.conftest import close_and_draw, make_round, offers_of

from .helpers import sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def city(transactional_db):  # type: ignore[no-untyped-def]
    municipality = make_municipality(name="試験市", name_en="Test City", slug="shiken")
    enable_module(municipality, "facilities")
    enable_module(municipality, "lottery")
    return municipality


def test_resident_enters_a_lottery_on_a_phone_and_reads_the_results(open_page, city):
    facility = make_facility(city)
    lottery = make_round(facility, [make_room(facility, name="第1会議室")], days=2)
    user = make_user("hanako@example.jp")
    registration = make_registration(city, user, name="山田 花子")
    offers = offers_of(lottery)
    page = open_page("phone")
    sign_in_with_password(page, "hanako@example.jp", PASSWORD, next_path="/shiken/lottery/")

    expect(page.get_by_role("heading", level=1)).to_have_text("施設の抽選")
    submit(page, page.get_by_role("link", name=lottery.title))
    expect(page.locator("main")).to_contain_text(lottery.commitment)
    submit(page, page.get_by_role("link", name="この抽選に申し込む"))
    expect(page.get_by_role("heading", level=1)).to_have_text("抽選に申し込む")
    page.get_by_label("第1希望").select_option(str(offers[1].pk))
    page.get_by_label("第2希望").select_option(str(offers[0].pk))
    submit(page, page.get_by_role("button", name="申し込む"))
    expect(page.get_by_role("heading", level=1)).to_have_text("抽選の申込一覧")
    with municipality_scope(city):
        entry = LotteryEntry.objects.get(registration=registration)
    expect(page.locator("main")).to_contain_text(entry.code)

    lottery = close_and_draw(lottery)
    with municipality_scope(city):
        services.round_publish(lottery=lottery, actor=None, request=None)
        lottery.refresh_from_db()
    visit(page, f"/shiken/lottery/{lottery.public_id}/")
    expect(page.locator("main")).to_contain_text(lottery.seed_revealed)
    expect(page.get_by_role("table")).to_contain_text(entry.code)
    visit(page, "/shiken/lottery/mine/")
    expect(page.locator("main")).to_contain_text("当選しました")
