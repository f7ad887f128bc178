"""公共施設予約 at a phone viewport: a resident finds a facility, reads its map page and the availability table,
books a free first-come slot (total shown before confirming), sees the 仮予約 on マイページ and cancels it.
axe-core checks every page visited (0 serious or critical violations)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities.models import Booking, BookingStatus
from tests.facilities.conftest import make_facility, make_registration, make_room, next_open_day
from tests.factories import PASSWORD, enable_module, make_municipality, make_user

from .helpers import sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def city(transactional_db, settings):  # type: ignore[no-untyped-def]
    # Tiles are configuration; the browser test never reaches the internet for them.
    settings.FACILITIES_MAP_TILE_URL = "/static/e2e-no-tiles/{z}/{x}/{y}.png"
    municipality = make_municipality(name="試験市", name_en="Test City", slug="shiken")
    enable_module(municipality, "facilities")
    return municipality


def test_resident_books_a_first_come_slot_on_a_phone_and_cancels(open_page, city):
    facility = make_facility(city)
    room = make_room(facility, name="第1会議室", capacity=20)
    make_room(facility, name="ホール", capacity=80)
    user = make_user("hanako@example.jp")
    registration = make_registration(city, user, name="山田 花子")
    day = next_open_day(offset=5)
    page = open_page("phone")
    sign_in_with_password(page, "hanako@example.jp", PASSWORD, next_path="/shiken/facilities/")

    expect(page.get_by_role("heading", level=1)).to_have_text("施設をさがす")
    submit(page, page.get_by_role("link", name="中央公民館"))
    expect(page.locator("figure figcaption")).to_contain_text("中央公民館の位置を示す地図")
    expect(page.get_by_role("link", name="地理院地図で場所を見る")).to_be_visible()
    submit(page, page.get_by_role("link", name="中央公民館の全部屋の空き状況"))
    expect(page.locator("section.room h2")).to_have_text(["第1会議室", "ホール"])
    expect(page.get_by_role("table")).to_have_count(2)
    visit(page, f"/shiken/facilities/{facility.slug}/")
    submit(page, page.get_by_role("link", name="第1会議室の空き状況"))
    visit(page, f"/shiken/facilities/rooms/{room.public_id}/?month={day:%Y-%m}")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="午前")).to_be_visible()

    week = page.get_by_role("link", name="週表示")
    submit(page, week)
    expect(page.get_by_role("table")).to_be_visible()
    visit(page, f"/shiken/facilities/rooms/{room.public_id}/?month={day:%Y-%m}")

    free = page.locator(f'a.slot-free[href*="date={day.isoformat()}"][href*="slot="]').nth(1)
    submit(page, free)
    expect(page.get_by_role("heading", level=1)).to_contain_text("第1会議室を予約する")
    expect(page.get_by_label("午後 13:00–17:00（1,500円）")).to_be_checked()
    page.get_by_label("利用人数").fill("8")
    page.get_by_label("利用目的").fill("自治会の定例会")
    submit(page, page.get_by_role("button", name="金額を確認する"))
    expect(page.get_by_role("region", name="お支払い金額の確認")).to_contain_text("1,500円")
    submit(page, page.get_by_role("button", name="この内容で予約する"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("予約 F")
    expect(page.locator("main")).to_contain_text("仮予約（お支払い待ち）")
    with municipality_scope(city):
        booking = Booking.objects.get(registration=registration)
    assert booking.status == BookingStatus.PROVISIONAL and booking.fee_total == 1500

    page.on("dialog", lambda dialog: dialog.accept())
    submit(page, page.get_by_role("button", name="予約を取り消す"))
    expect(page.locator("main")).to_contain_text("予約を取り消しました。")
    expect(page.locator("main")).to_contain_text("取消し")
    submit(page, page.get_by_role("link", name="施設の予約一覧").first)
    expect(page.get_by_role("heading", name="過去・取消しの予約")).to_be_visible()
    with municipality_scope(city):
        booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_at <= timezone.now()
