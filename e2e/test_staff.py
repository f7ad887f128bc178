"""The staff back office at a desktop viewport: TOTP enrolment, sign-in with the second factor, departments,
and every back-office screen checked with axe-core."""

from __future__ import annotations

import re
import time

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from madoguchi.accounts.models import Role, StaffMembership
from madoguchi.audit.models import AuditEvent
from madoguchi.core.models import Department
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_staff, make_user, totp_now

from .helpers import (
    ARTIFACTS,
    enter_totp_code,
    expect_path,
    sign_in_with_password,
    submit,
    totp_code_for_step,
    visit,
)

pytestmark = pytest.mark.e2e


def _wrong_code(secret: str) -> str:
    """A six-digit code that is valid for none of the steps the server accepts right now."""
    step = int(time.time() // 30)
    valid = {totp_code_for_step(secret, s) for s in range(step - 2, step + 3)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 999999, 111111)) if code not in valid)


def _staff_nav(page: Page):
    return page.get_by_role("navigation", name="職員メニュー")


def _assert_summary_links_resolve(page: Page) -> None:
    """Every link of the error summary points at an element of the page, and that element is a form control."""
    links = page.locator(".error-summary a")
    expect(links.first).to_be_visible()
    for link in links.all():
        href = link.get_attribute("href") or ""
        assert re.fullmatch(r"#[\w-]+", href), f"error summary link {link.inner_text()!r} has href {href!r}"
        target = page.locator(href)
        expect(target).to_have_count(1)
        tag = target.evaluate("element => element.tagName")
        assert tag in {"INPUT", "SELECT", "TEXTAREA"}, f"{href} is a {tag}, not a form control"


def test_staff_enrols_totp_signs_in_again_and_creates_a_department(open_page, town):
    user = make_user("kanri@nanto.example.jp", family_name="管理", given_name="花子")
    with scopes_disabled():
        StaffMembership.objects.create(municipality=town.municipality, user=user, role=Role.MUNICIPALITY_ADMIN)
    page = open_page("desktop")

    # The back office sends a visitor to sign in, then straight on to enrol an authenticator.
    visit(page, town.staff)
    expect_path(page, "/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="ログインする"))
    expect_path(page, "/accounts/mfa/enrol/")
    expect(page.get_by_role("heading", level=1)).to_have_text("2段階認証の設定")
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret

    # A wrong code is refused with a message linked to the field; the right one completes enrolment.
    page.get_by_label("確認コード").fill(_wrong_code(secret))
    submit(page, page.get_by_role("button", name="設定を完了する"))
    expect(page.locator(".error-summary")).to_contain_text("確認コードが正しくありません")
    _assert_summary_links_resolve(page)
    enrol_step = int(time.time() // 30)
    page.get_by_label("確認コード").fill(totp_code_for_step(secret, enrol_step))
    submit(page, page.get_by_role("button", name="設定を完了する"))
    expect(page.get_by_role("heading", level=1)).to_have_text("リカバリーコード")
    expect(page.get_by_test_id("recovery-codes").get_by_role("listitem")).to_have_count(10)
    submit(page, page.get_by_role("link", name="保管しました。続ける"))
    expect_path(page, town.staff)
    expect(page.get_by_role("heading", level=1)).to_have_text("南砺市 職員ダッシュボード")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "staff-dashboard-desktop.png", full_page=True)

    # Sign out and back in: password, then a code from the next 30-second step (the enrolment code's step
    # is spent; the server never accepts a step twice).
    submit(page, page.get_by_role("button", name="ログアウト"))
    expect(page.get_by_role("status")).to_contain_text("ログアウトしました")
    visit(page, town.staff)
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="ログインする"))
    expect_path(page, "/accounts/mfa/verify/")
    enter_totp_code(page, totp_code_for_step(secret, enrol_step + 1))
    expect_path(page, town.staff)

    # Create a department: the empty form first, then a valid one.
    submit(page, _staff_nav(page).get_by_role("link", name="課", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("課")
    expect(page.locator("table.data caption")).to_have_text("2 課")
    submit(page, page.get_by_role("link", name="課を追加"))
    submit(page, page.get_by_role("button", name="保存する"))
    expect(page.locator(".error-summary")).to_contain_text("課名を入力してください")
    expect(page.locator(".error-summary")).to_contain_text("識別名を入力してください")
    _assert_summary_links_resolve(page)
    page.get_by_label("課名").fill("観光課")
    page.get_by_label("英語名").fill("Tourism Division")
    page.get_by_label("識別名").fill("kanko")
    page.get_by_label("電話番号").fill("0763-23-2014")
    submit(page, page.get_by_role("button", name="保存する"))
    expect_path(page, f"{town.staff}departments/")
    expect(page.get_by_role("status")).to_contain_text("課を保存しました")
    row = page.get_by_role("row", name=re.compile("観光課"))
    expect(row).to_contain_text("Tourism Division")
    expect(row).to_contain_text("0763-23-2014")
    expect(page.locator("table.data caption")).to_have_text("3 課")
    with scopes_disabled():
        created = Department.objects.get(municipality=town.municipality, slug="kanko")
        assert created.phone == "0763232014"
        assert AuditEvent.objects.filter(action="department.created", object_id=str(created.public_id)).exists()


def test_back_office_screens(open_page, town):
    admin = make_staff(town.municipality, email="admin@nanto.example.jp", family_name="管理", given_name="太郎")
    make_user(
        "taro.yamada@example.jp",
        family_name="山田",
        given_name="太郎",
        family_name_kana="ヤマダ",
        given_name_kana="タロウ",
        phone="09012345678",
        home_municipality=town.municipality,
    )
    page = open_page("desktop")
    sign_in_with_password(page, admin.email, PASSWORD, next_path=town.staff)
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))

    # Dashboard.
    expect_path(page, town.staff)
    cards = page.locator(".card-grid").first.get_by_role("listitem")
    expect(cards.nth(1)).to_contain_text("2")  # departments
    expect(cards.nth(2)).to_contain_text("1")  # staff
    expect(_staff_nav(page).get_by_role("link", name="ダッシュボード")).to_have_attribute("aria-current", "page")

    # Staff and roles, and the add form with errors.
    submit(page, _staff_nav(page).get_by_role("link", name="職員と役割"))
    row = page.get_by_role("row", name=re.compile("admin@nanto.example.jp"))
    expect(row).to_contain_text("設定済み")
    submit(page, page.get_by_role("link", name="職員の役割を追加"))
    page.get_by_label("メールアドレス").fill("not-an-address")
    page.get_by_label("姓").fill("窓口")
    submit(page, page.get_by_role("button", name="追加する"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("メールアドレスの形式が正しくありません")
    expect(summary).to_contain_text("名を入力してください")
    expect(summary).to_contain_text("役割を選んでください")
    expect(page.get_by_label("メールアドレス")).to_have_value("not-an-address")
    expect(page.get_by_label("姓")).to_have_value("窓口")
    for link in summary.locator("a:not([href='#'])").all():  # the role link is covered by its own test below
        expect(page.locator(link.get_attribute("href") or "")).to_have_count(1)
    page.get_by_label("メールアドレス").fill("madoguchi.jiro@nanto.example.jp")
    page.locator("#id_given_name").fill("次郎")
    page.get_by_label("窓口職員").check()
    submit(page, page.get_by_role("button", name="追加する"))
    expect_path(page, f"{town.staff}users/")
    expect(page.get_by_role("row", name=re.compile("madoguchi.jiro@nanto.example.jp"))).to_contain_text("未設定")

    # Departments, one department's edit form, modules, municipality settings.
    submit(page, _staff_nav(page).get_by_role("link", name="課", exact=True))
    submit(page, page.get_by_role("link", name="編集 市民課"))
    expect(page.get_by_label("課名")).to_have_value("市民課")

    submit(page, _staff_nav(page).get_by_role("link", name="機能の利用設定"))
    count = page.get_by_label("トップページに表示する件数")
    width = count.bounding_box()["width"]
    assert width >= 80, f"the number box is only {width}px wide"
    count.fill("99")
    submit(page, page.get_by_role("button", name="保存する"), status=400)
    expect(page.locator(".error-summary")).to_contain_text(re.compile("トップページに表示する件数.*20"))
    _assert_summary_links_resolve(page)
    expect(count).to_have_value("99")
    expect(count).to_have_attribute("aria-invalid", "true")

    visit(page, f"{town.staff}settings/")
    expect(page.get_by_label("所在地（英語）")).to_have_value("4880 Naeshima, Nanto, Toyama")

    # Resident search: a too-short query, then a match and the detail page (a read that is audited).
    submit(page, _staff_nav(page).get_by_role("link", name="住民情報"))
    search = page.get_by_role("search", name="住民の検索")
    search.get_by_role("textbox").fill("山")
    submit(page, search.get_by_role("button", name="検索する"), status=400)
    expect(page.locator(".error-summary")).to_contain_text("2文字以上で入力してください")
    _assert_summary_links_resolve(page)
    search.get_by_role("textbox").fill("ヤマダ")
    submit(page, search.get_by_role("button", name="検索する"))
    expect(page.locator("table.data caption")).to_have_text("1 件")
    submit(page, page.get_by_role("link", name="詳細 山田 太郎"))
    expect(page.locator("dl.summary")).to_contain_text("090-1234-5678")

    # The audit log shows what just happened, filters, and reports a bad date clearly.
    submit(page, _staff_nav(page).get_by_role("link", name="監査ログ"))
    filters = page.get_by_role("search", name="監査ログの絞り込み")
    filters.get_by_label("操作", exact=True).select_option("personal_data.view")
    submit(page, filters.get_by_role("button", name="絞り込む"))
    expect(page.locator("table.data caption")).to_have_text("1 件")
    expect(page.locator("table.data tbody")).to_contain_text("admin@nanto.example.jp")
    filters.get_by_label("開始日").fill("令和8年13月40日")
    submit(page, filters.get_by_role("button", name="絞り込む"), status=400)
    _assert_summary_links_resolve(page)
    expect(filters.get_by_label("開始日")).to_have_value("令和8年13月40日")

    # The module's own staff screens: the list, and a notice written and published from the form.
    submit(page, _staff_nav(page).get_by_role("link", name="お知らせ管理"))
    expect(page.get_by_role("row", name=re.compile(town.important.title))).to_contain_text("重要")
    submit(page, page.get_by_role("link", name="お知らせを作成"))
    submit(page, page.get_by_role("button", name="保存する"))
    expect(page.locator(".error-summary")).to_contain_text("タイトルを入力してください")
    expect(page.locator(".error-summary")).to_contain_text("本文を入力してください")
    page.get_by_label("タイトル", exact=False).first.fill("窓口の混雑予報を始めました")
    page.locator("#id_body").fill("本庁舎1階の窓口の混雑予報を、オンライン窓口で見られるようになりました。")
    page.get_by_label("緊急").check()
    submit(page, page.get_by_role("button", name="保存する"))
    expect_path(page, f"{town.staff}notices/")
    expect(page.get_by_role("row", name=re.compile("窓口の混雑予報を始めました"))).to_contain_text("緊急")


def test_add_staff_error_summary_links_the_role_choice(open_page, town):
    admin = make_staff(town.municipality, email="admin@nanto.example.jp")
    page = open_page("desktop")
    sign_in_with_password(page, admin.email, PASSWORD, next_path=f"{town.staff}users/add/")
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    submit(page, page.get_by_role("button", name="追加する"))
    role_link = page.locator(".error-summary a", has_text="役割を選んでください")
    expect(role_link).to_have_attribute("href", re.compile(r"^#id_role"), timeout=1000)


def test_department_choices_are_offered(open_page, town):
    admin = make_staff(town.municipality, email="admin@nanto.example.jp")
    page = open_page("desktop")
    sign_in_with_password(page, admin.email, PASSWORD, next_path=f"{town.staff}users/add/")
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    expect(page.locator("#id_department option")).to_have_text(
        ["（課を選んでください）", "DX推進課", "市民課"], timeout=1000
    )
    visit(page, f"{town.staff}notices/add/")
    expect(page.locator("#id_department option")).to_have_text(["（指定しない）", "DX推進課", "市民課"], timeout=1000)


def test_add_department_staff_with_a_department(open_page, town):
    admin = make_staff(town.municipality, email="admin@nanto.example.jp")
    page = open_page("desktop")
    sign_in_with_password(page, admin.email, PASSWORD, next_path=f"{town.staff}users/add/")
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    page.get_by_label("メールアドレス").fill("shimin.hanako@nanto.example.jp")
    page.get_by_label("姓").fill("市民")
    page.locator("#id_given_name").fill("花子")
    page.get_by_label("担当課職員").check()
    page.get_by_label("課", exact=True).select_option(label="市民課", timeout=1000)
    submit(page, page.get_by_role("button", name="追加する"))
    expect(page.locator(".error-summary")).to_have_count(0, timeout=1000)
    expect_path(page, f"{town.staff}users/")
    expect(page.get_by_role("row", name=re.compile("shimin.hanako"))).to_contain_text("市民課")
