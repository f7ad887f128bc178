"""A resident signs up, verifies the e-mail address, signs in and switches to English (phone viewport)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from madoguchi.accounts.models import User

from .helpers import ARTIFACTS, expect_path, submit, visit

pytestmark = pytest.mark.e2e

EMAIL = "hanako.nanto@example.jp"
NEW_PASSWORD = "kiso-no-mizu-2026"


def test_resident_signs_up_verifies_email_signs_in_and_switches_to_english(open_page, town, mailoutbox):
    page = open_page("phone")

    # The platform root lists the municipality; the resident picks theirs.
    visit(page, "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Madoguchi")
    submit(page, page.get_by_role("link", name="南砺市"))
    expect_path(page, town.home)
    expect(page.get_by_role("heading", level=1)).to_have_text("南砺市 オンライン窓口")
    expect(page.locator("main")).to_contain_text(town.important.title)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "municipality-home-phone.png", full_page=True)

    # Sign-up: an empty form first, so the error state is checked too.
    submit(page, page.get_by_role("banner").get_by_role("link", name="新規登録"))
    expect(page.get_by_role("heading", level=1)).to_have_text("アカウントの作成")
    submit(page, page.get_by_role("button", name="登録する"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(4)  # e-mail, password, confirmation, consent
    expect(summary.get_by_role("link", name=re.compile("利用規約"))).to_have_attribute("href", "#id_agree_terms")

    page.get_by_label("メールアドレス").fill(EMAIL)
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.get_by_label("日本語").check()
    page.get_by_label("利用規約と個人情報の取扱いに同意します").check()
    submit(page, page.get_by_role("button", name="登録する"))
    expect(page.get_by_role("heading", level=1)).to_have_text("確認メールを送りました")
    expect(page.locator("main")).to_contain_text(EMAIL)
    assert User.objects.get(email=EMAIL).email_verified_at is None

    # The verification e-mail (sent in-process by the live server) carries a one-click link.
    assert [message.to for message in mailoutbox] == [[EMAIL]]
    match = re.search(r"https?://\S+/accounts/verify/\S+/", mailoutbox[0].body)
    assert match, f"no verification link in the e-mail:\n{mailoutbox[0].body}"
    visit(page, match.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("メールアドレスの確認")
    submit(page, page.get_by_role("button", name="メールアドレスを確認する"))
    expect_path(page, "/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("メールアドレスを確認しました")
    assert User.objects.get(email=EMAIL).email_verified_at is not None

    # Sign in.
    page.get_by_label("メールアドレス").fill(EMAIL)
    page.get_by_label("パスワード").fill(NEW_PASSWORD)
    submit(page, page.get_by_role("button", name="ログインする"))
    expect(page.get_by_role("link", name="マイページ")).to_be_visible()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()

    # Switch to English from the municipality home; the choice sticks for the next pages.
    visit(page, town.home)
    submit(page, page.get_by_role("link", name="English"))
    expect(page).to_have_url(re.compile(r"/nanto/\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nanto City")
    expect(page.locator("main")).to_contain_text(town.important.title_en)
    expect(page.get_by_role("link", name="日本語")).to_have_attribute("hreflang", "ja")
    # The interface itself is in English, not only the municipality's data.
    expect(page.locator("a.skip-link")).to_have_text("Skip to main content")
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    submit(page, page.get_by_role("navigation", name="Services").get_by_role("link", name="Notices"))
    expect_path(page, "/nanto/notices/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    submit(page, page.get_by_role("link", name=town.normal.title_en))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(town.normal.title_en)
    expect(page.locator("article")).to_contain_text(town.normal.body_en)
