"""Issue 4's "Done when", end to end in a browser, in a municipality set up like the demo's 魚津市.

A group registers on a phone and staff approve it on a desktop; the group enters the demo's open lottery round;
after the window closes staff close, draw and publish; the public results page shows the revealed seed, whose
SHA-256 is the commitment published when the round opened, and the published JSON verifies with the
stand-alone docs/lottery-verify.py; the winner pays the 仮予約 on the test gateway's hosted page and gets a
confirmed booking with its check-in QR code. A second resident books a first-come slot, pays online, cancels,
and sees the refund to the card. Residents use a phone viewport, staff a desktop; axe-core checks every page
(0 serious or critical violations).

The test gateway's webhook is a django-tasks task enqueued on commit; the test settings' immediate backend runs
it inside the request that paid, so nothing is waited for.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from madoguchi.accounts.models import Role
from madoguchi.core.models import ModuleActivation, Municipality
from madoguchi.demo.data import MUNICIPALITIES, RESIDENTS
from madoguchi.facilities.demo import seed_facilities
from madoguchi.facilities.models import (
    BookedUnit,
    Booking,
    BookingSource,
    BookingStatus,
    Facility,
    Registration,
    RegistrationKind,
    RegistrationStatus,
)
from madoguchi.facilities.services import closed_reason
from madoguchi.lottery.demo import seed_lottery
from madoguchi.lottery.models import LotteryOffer, LotteryPreference, LotteryRound
from madoguchi.payments.demo import seed_payments
from madoguchi.payments.models import Payment, PaymentStatus
from tests.facilities.conftest import make_registration
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_municipality, make_staff, make_user, totp_now

from .helpers import enter_totp_code, expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e

VERIFIER = Path(__file__).resolve().parent.parent / "docs" / "lottery-verify.py"
GOOD_CARD = "4242 4242 4242 4242"


@dataclass
class Uozu:
    municipality: Municipality
    lottery: LotteryRound

    @property
    def slug(self) -> str:
        return self.municipality.slug


@pytest.fixture
def uozu(transactional_db, settings) -> Uozu:  # type: ignore[no-untyped-def]
    """魚津市 as `load_demo` builds it for this journey: its identity, the facilities module with the demo
    catalogue, two approved groups and a month of bookings (facilities/demo.py), the demo lottery round open for
    the month after next with the groups' entries (lottery/demo.py), and card plus counter payment through a
    test-gateway merchant account (payments/demo.py)."""
    settings.FACILITIES_MAP_TILE_URL = "/static/e2e-no-tiles/{z}/{x}/{y}.png"  # never the internet
    data = next(m for m in MUNICIPALITIES if m["slug"] == "uozu")
    with scopes_disabled():
        municipality = make_municipality(**data)
        for key in ("facilities", "lottery", "payments"):
            ModuleActivation.objects.update_or_create(
                municipality=municipality, module_key=key, defaults={"enabled": True}
            )
        seed_payments(municipality)
        seed_facilities(municipality)
        seed_lottery(municipality)
        lottery = LotteryRound.objects.get(municipality=municipality)
    return Uozu(municipality=municipality, lottery=lottery)


def _fill_card(page: Page) -> None:
    page.get_by_label("カード番号").fill(GOOD_CARD)
    page.get_by_label("有効期限（月/年）").fill("12/30")
    page.get_by_label("セキュリティコード").fill("123")


def _pay_on_the_test_gateway(page: Page, amount: int) -> None:
    """From a 仮予約's page: 「オンラインで支払う」, the hosted page with merchant and amount, a good card, back."""
    submit(page, page.get_by_role("button", name="オンラインで支払う"))
    expect(page.get_by_role("heading", level=1)).to_have_text("お支払い（テスト用決済）")
    expect(page.get_by_test_id("merchant")).to_have_text("魚津市")
    expect(page.get_by_test_id("amount")).to_have_text(f"{amount:,}円")
    _fill_card(page)
    submit(page, page.get_by_role("button", name=f"{amount:,}円を支払う"))


def _sign_in_staff(page: Page, town: Uozu, next_path: str) -> None:
    staff = make_staff(
        town.municipality, Role.MUNICIPALITY_ADMIN, email="admin@uozu.example.jp", family_name="施設", given_name="係"
    )
    sign_in_with_password(page, staff.email, PASSWORD, next_path=next_path)
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    expect_path(page, next_path)


def _group_registers(page: Page, town: Uozu) -> Registration:
    make_user("kaicho@example.jp", family_name="魚津", given_name="太郎")
    sign_in_with_password(page, "kaicho@example.jp", PASSWORD, next_path=f"/{town.slug}/facilities/register/")
    expect(page.get_by_role("heading", level=1)).to_have_text("利用者登録")
    page.get_by_role("radio", name="団体").check()
    page.get_by_label("氏名または団体名").fill("魚津ソフトテニス同好会")
    page.get_by_label("フリガナ").fill("ウオヅソフトテニスドウコウカイ")
    page.get_by_label("代表者氏名（団体のみ）").fill("魚津 太郎")
    page.get_by_label("構成員数（団体のみ）").fill("12")
    page.get_by_label("うち市内在住・在勤・在学の人数").fill("10")
    page.get_by_label("電話番号").fill("0765-22-1234")
    page.get_by_label("住所").fill("富山県魚津市釈迦堂1丁目1番1号")
    submit(page, page.get_by_role("button", name="申し込む"))
    expect(page.locator("main")).to_contain_text("利用者登録を申し込みました。")
    with scopes_disabled():
        registration = Registration.objects.get(municipality=town.municipality, name="魚津ソフトテニス同好会")
    assert registration.kind == RegistrationKind.GROUP and registration.status == RegistrationStatus.PENDING
    return registration


def _free_first_come_unit(town: Uozu) -> tuple[Facility, object, object, datetime.date]:
    """A free unit of 市民交流センター 第1会議室 at least 8 days ahead (the 100% refund row of the table)."""
    with scopes_disabled():
        facility = Facility.objects.get(municipality=town.municipality, slug="shimin-center")
        room = facility.rooms.get(name="第1会議室")
        slots = list(room.slots.order_by("starts_at"))
        day = timezone.localdate() + datetime.timedelta(days=8)
        while True:
            if not closed_reason(facility, day):
                taken = set(
                    BookedUnit.objects.filter(room=room, date=day, is_active=True).values_list("slot_id", flat=True)
                )
                free = [slot for slot in slots if slot.pk not in taken]
                if free:
                    return facility, room, free[0], day
            day += datetime.timedelta(days=1)


def test_done_when_lottery_win_paid_online_and_a_first_come_booking_refunded(open_page, uozu: Uozu, tmp_path):
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks.backends.immediate.ImmediateBackend"
    slug = uozu.slug
    lottery = uozu.lottery

    # --- A group registers (phone) and staff approve it (desktop).
    phone = open_page("phone")
    registration = _group_registers(phone, uozu)
    desk = open_page("desktop")
    _sign_in_staff(desk, uozu, f"/{slug}/staff/facilities/registrations/?status=pending")
    row = desk.get_by_role("row").filter(has_text="魚津ソフトテニス同好会")
    expect(row).to_contain_text("魚津 太郎")
    submit(desk, row.get_by_role("button", name="承認 魚津ソフトテニス同好会", exact=True))
    with scopes_disabled():
        registration.refresh_from_db()
    assert registration.status == RegistrationStatus.APPROVED

    # --- The group enters the demo's open round. Its choice is the round's last unit, which the demo groups
    # (who crowd the first, popular ones) did not ask for, so the draw gives it to this group.
    with scopes_disabled():
        offer = LotteryOffer.objects.filter(round=lottery).order_by("-date", "-pk").first()
        assert offer is not None and not LotteryPreference.objects.filter(offer=offer).exists()
        fee = offer.slot.fee
    visit(phone, f"/{slug}/lottery/")
    submit(phone, phone.get_by_role("link", name=lottery.title))
    expect(phone.locator("main")).to_contain_text(lottery.commitment)
    submit(phone, phone.get_by_role("link", name="この抽選に申し込む"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("抽選に申し込む")
    phone.get_by_label("第1希望").select_option(str(offer.pk))
    submit(phone, phone.get_by_role("button", name="申し込む"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("抽選の申込一覧")
    expect(phone.locator("main")).to_contain_text("魚津ソフトテニス同好会")

    # --- The application window ends (time passes: the round's deadline is moved into the past), then staff
    # close the round, draw and publish the result with the seed.
    with scopes_disabled():
        LotteryRound.objects.filter(pk=lottery.pk).update(applies_until=timezone.now() - datetime.timedelta(minutes=1))
    visit(desk, f"/{slug}/staff/lottery/{lottery.public_id}/")
    submit(desk, desk.get_by_role("button", name="受付を終了する"))
    submit(desk, desk.get_by_role("button", name="抽選する"))
    expect(desk.locator("main")).to_contain_text("当選（第1希望）")
    submit(desk, desk.get_by_role("button", name="結果と乱数を公開する"))

    # --- Anyone can verify: SHA-256 of the revealed seed is the commitment, and the stand-alone verifier
    # re-runs the draw from the published JSON and gets the published winners.
    visit(phone, f"/{slug}/lottery/{lottery.public_id}/")
    main = phone.locator("main")
    with scopes_disabled():
        lottery.refresh_from_db()
    expect(main).to_contain_text(lottery.seed_revealed)
    assert hashlib.sha256(bytes.fromhex(lottery.seed_revealed)).hexdigest() == lottery.commitment
    result = phone.request.get(f"/{slug}/lottery/{lottery.public_id}/result.json")
    assert result.ok
    published = result.json()
    assert published["seed"] == lottery.seed_revealed and published["commitment"] == lottery.commitment
    result_path = tmp_path / f"lottery-{lottery.public_id}.json"
    result_path.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    verified = subprocess.run(  # noqa: S603 (own interpreter, the repository's verifier)
        [sys.executable, str(VERIFIER), str(result_path)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0 and verified.stdout.startswith("OK: commitment matches"), (
        verified.stdout + verified.stderr
    )

    # --- The winner pays the 仮予約 through the test gateway and gets the confirmed booking with a QR code.
    visit(phone, f"/{slug}/lottery/mine/")
    expect(phone.locator("main")).to_contain_text("当選しました")
    submit(phone, phone.get_by_role("link", name="仮予約とお支払い"))
    expect(phone.get_by_test_id("booking-status")).to_have_text("仮予約（お支払い待ち）")
    _pay_on_the_test_gateway(phone, fee)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("予約 F")
    expect(phone.get_by_test_id("booking-status")).to_have_text("予約確定")
    expect(phone.get_by_role("heading", name="受付用QRコード")).to_be_visible()
    expect(phone.locator(".qr-code svg")).to_be_visible()
    with scopes_disabled():
        won = Booking.objects.get(registration=registration, source=BookingSource.LOTTERY)
        payment = Payment.objects.get(municipality=uozu.municipality, object_id=str(won.public_id))
    assert won.status == BookingStatus.CONFIRMED and won.payment_method == "online" and won.fee_total == fee
    assert payment.status == PaymentStatus.PAID and won.payment_reference == str(payment.public_id)
    expect(phone.locator("main")).to_contain_text(payment.receipt_number)

    # --- A second resident (the demo's 田中健) books a first-come slot, pays online, cancels, sees the refund.
    person = next(r for r in RESIDENTS if r["municipality"] == "uozu")
    profile = {k: v for k, v in person.items() if k not in ("email", "municipality")}
    tanaka = make_user(person["email"], home_municipality=uozu.municipality, **profile)
    make_registration(uozu.municipality, tanaka, name="田中 健")
    facility, room, slot, day = _free_first_come_unit(uozu)
    second = open_page("phone")
    sign_in_with_password(
        second, person["email"], PASSWORD, next_path=f"/{slug}/facilities/rooms/{room.public_id}/?month={day:%Y-%m}"
    )
    free = second.locator(f'a.slot-free[href*="date={day.isoformat()}"][href*="slot={slot.pk}"]')
    submit(second, free)
    expect(second.get_by_role("heading", level=1)).to_contain_text("第1会議室を予約する")
    second.get_by_label("利用人数").fill("6")
    second.get_by_label("利用目的").fill("町内会の役員会")
    submit(second, second.get_by_role("button", name="金額を確認する"))
    expect(second.get_by_role("region", name="お支払い金額の確認")).to_contain_text(f"{slot.fee:,}円")
    submit(second, second.get_by_role("button", name="この内容で予約する"))
    expect(second.get_by_test_id("booking-status")).to_have_text("仮予約（お支払い待ち）")
    expect(second.locator("main")).to_contain_text("施設の窓口でもお支払いいただけます")
    _pay_on_the_test_gateway(second, slot.fee)
    expect(second.get_by_test_id("booking-status")).to_have_text("予約確定")
    expect(second.locator("main")).to_contain_text(f"今取り消すと、返金額は{slot.fee:,}円です。")
    second.on("dialog", lambda dialog: dialog.accept())
    submit(second, second.get_by_role("button", name="予約を取り消す"))
    expect(second.locator("main")).to_contain_text(f"予約を取り消しました。返金額は{slot.fee:,}円です。")
    expect(second.get_by_test_id("booking-status")).to_have_text("取消し")
    expect(second.get_by_test_id("booking-card-refund")).to_contain_text(f"{slot.fee:,}円を返金しました")
    with scopes_disabled():
        first_come = Booking.objects.get(registration__user=tanaka)
        refunded = Payment.objects.get(municipality=uozu.municipality, object_id=str(first_come.public_id))
    assert first_come.status == BookingStatus.CANCELLED and first_come.refund_amount == slot.fee
    assert refunded.status == PaymentStatus.REFUNDED and refunded.refunded_amount == slot.fee
    assert facility.pk == room.facility_id
