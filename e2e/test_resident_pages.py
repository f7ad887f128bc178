"""Resident-facing pages at a phone viewport: notices, sign-in pages, password reset, and the profile form's
error handling (values kept, error summary linked to the fields)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_user

from .helpers import expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e


def test_public_pages_in_japanese_and_english(open_page, town):
    page = open_page("phone")

    visit(page, f"{town.home}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("4880 Naeshima, Nanto, Toyama")
    expect(page.locator("footer")).to_contain_text("Toyama Nanto City")
    submit(page, page.get_by_role("link", name="日本語"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    # Notices: the list, then one notice with its breadcrumb trail.
    submit(page, page.get_by_role("navigation", name="サービス").get_by_role("link", name="お知らせ"))
    expect_path(page, f"{town.home}notices/")
    expect(page.get_by_role("link", name="お知らせ", exact=True).first).to_have_attribute("aria-current", "page")
    items = page.locator("main .notice-list li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("重要")  # importance is written out, not shown by colour alone
    submit(page, page.get_by_role("link", name=town.important.title))
    expect(page.get_by_role("heading", level=1)).to_have_text(town.important.title)
    breadcrumbs = page.get_by_role("navigation", name="パンくずリスト")
    expect(breadcrumbs.get_by_role("listitem").last).to_have_attribute("aria-current", "page")
    expect(page.locator("article time")).to_have_text(re.compile(r"^令和\d+年\d+月\d+日（\d{4}-\d\d-\d\d）$"))

    # Sign-in, sign-up and password reset pages.
    submit(page, page.get_by_role("banner").get_by_role("link", name="ログイン"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.get_by_label("メールアドレス").fill("nobody@example.jp")
    page.get_by_label("パスワード").fill("wrong-password-123")
    submit(page, page.get_by_role("button", name="ログインする"))
    expect(page.locator(".error-summary")).to_contain_text("メールアドレスまたはパスワードが正しくありません")
    expect(page.get_by_label("メールアドレス")).to_have_value("nobody@example.jp")
    expect(page.get_by_label("パスワード")).to_have_value("")  # a password is never sent back

    submit(page, page.get_by_role("link", name="パスワードを忘れた方"))
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードの再設定")
    email = page.locator("#id_email")
    email.fill("not-an-address")
    submit(page, page.get_by_role("button", name="再設定メールを送る"))
    expect(page.locator(".error-summary a")).to_have_attribute("href", "#id_email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("not-an-address")
    email.fill("nobody@example.jp")
    submit(page, page.get_by_role("button", name="再設定メールを送る"))
    expect_path(page, "/accounts/password/reset/done/")

    visit(page, "/accounts/signup/")
    expect(page.get_by_role("group", name=re.compile("表示言語"))).to_be_visible()


def test_password_reset_error_keeps_the_forms_own_label_and_message(open_page, town):
    page = open_page("phone")
    visit(page, "/accounts/password/reset/")
    page.get_by_label("登録したメールアドレス").fill("not-an-address")
    submit(page, page.get_by_role("button", name="再設定メールを送る"))
    # The page is already loaded; a short wait keeps the expected failure quick.
    expect(page.locator("#id_email_error")).to_contain_text("メールアドレスの形式が正しくありません", timeout=1000)
    expect(page.get_by_label("登録したメールアドレス")).to_have_value("not-an-address", timeout=1000)


def test_profile_errors_keep_values_and_summary_links_to_fields(open_page, town):
    make_user("sakura@example.jp", family_name="", given_name="")
    page = open_page("phone")
    sign_in_with_password(page, "sakura@example.jp", PASSWORD, next_path="/accounts/profile/")
    expect_path(page, "/accounts/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("マイページ")

    typed = {
        "#id_family_name": "南砺",
        "#id_given_name": "さくら",
        "#id_family_name_kana": "nanto",  # not kana
        "#id_given_name_kana": "さくら",  # hiragana is accepted (stored as katakana)
        "#id_postal_code": "939-16",  # six digits
        "#id_city": "南砺市",
        "#id_phone": "0763-23-2000",
    }
    # Every text box of the form is wide enough to show what is typed (a 24-pixel box once hid it).
    for box in page.locator("main form input[type=text], main form input[type=tel]").all():
        width = box.bounding_box()["width"]
        assert width >= 200, f"{box.get_attribute('id')} is only {width}px wide at 390px"
    for selector, value in typed.items():
        page.locator(selector).fill(value)
    submit(page, page.get_by_role("button", name="保存する"))

    expect_path(page, "/accounts/profile/")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "#id_family_name_kana")
    expect(links.nth(0)).to_contain_text("フリガナはカタカナで入力してください")
    expect(links.nth(1)).to_have_attribute("href", "#id_postal_code")
    expect(links.nth(1)).to_contain_text("郵便番号は7桁の数字で入力してください")

    # What the resident typed is still there, the right and the wrong values alike.
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)

    # Each invalid field says so to assistive technology and carries its message.
    for name in ("family_name_kana", "postal_code"):
        field = page.locator(f"#id_{name}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"\bid_{name}_error\b"))
        expect(page.locator(f"#id_{name}_error")).to_be_visible()
    expect(page.locator("#id_given_name_kana")).not_to_have_attribute("aria-invalid", "true")

    # Following a summary link brings the field into view.
    links.nth(1).click()
    expect(page).to_have_url(re.compile(r"#id_postal_code$"))
    expect(page.locator("#id_postal_code")).to_be_in_viewport()

    # Corrected, the form saves and the kana is normalised.
    page.locator("#id_family_name_kana").fill("ナント")
    page.locator("#id_postal_code").fill("9391692")
    submit(page, page.get_by_role("button", name="保存する"))
    expect(page.get_by_role("status")).to_contain_text("プロフィールを保存しました")
    expect(page.locator("#id_given_name_kana")).to_have_value("サクラ")
    expect(page.locator("#id_postal_code")).to_have_value("9391692")
