"""The staff form builder (フォーム作成) in a browser: a member of 市民課 builds a two-page form with a condition
and a fee without code, previews it as a resident (also at a phone viewport) and publishes it. Every builder
page is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from madoguchi.accounts.models import Role
from madoguchi.core.models import Department
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.models import FormVersion, Submission
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published
from tests.factories import PASSWORD, TEST_TOTP_SECRET, enable_module, make_staff, totp_now

from .conftest import Town
from .helpers import enter_totp_code, expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def juminhyo(town: Town):
    enable_module(town.municipality, "procedures")
    with municipality_scope(town.municipality):
        procedure = procedure_preset_enable(municipality=town.municipality, actor=None, key="juminhyo", request=None)
        return procedure_set_published(procedure=procedure, actor=None, published=True, request=None)


def _sign_in_clerk(page: Page, town: Town, next_path: str) -> None:
    with scopes_disabled():
        shimin = Department.objects.get(municipality=town.municipality, slug="shimin")
    clerk = make_staff(
        town.municipality,
        Role.DEPARTMENT_STAFF,
        department=shimin,
        email="shimin@nanto.example.jp",
        family_name="市民",
        given_name="花子",
    )
    sign_in_with_password(page, clerk.email, PASSWORD, next_path=next_path)
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    expect_path(page, next_path)


def _field(page: Page, label: str):
    """The input labelled exactly `label` (the label may carry the 必須 marker)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s*必須)?$"))


def _add_question(page: Page, type_label: str) -> None:
    submit(page, page.get_by_role("link", name="このページに質問を追加").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("質問の種類を選ぶ")
    page.get_by_label(type_label, exact=True).check()
    submit(page, page.get_by_role("button", name="次へ進む"))
    expect(page.get_by_role("heading", level=1)).to_have_text("質問を追加")


def test_a_clerk_builds_a_form_with_a_condition_and_publishes_it(open_page, town, juminhyo):
    staff_page = f"{town.staff}procedures/{juminhyo.public_id}/"
    page = open_page("desktop")
    _sign_in_clerk(page, town, staff_page)
    submit(page, page.get_by_role("link", name="申請書（オンライン申請のフォーム）を作成・編集する"))
    expect(page.get_by_role("heading", level=1)).to_have_text("申請書の作成")

    # Start from a blank one-page form.
    page.get_by_label("白紙（1ページ）から始める").check()
    submit(page, page.get_by_role("button", name="下書きを作成する"))
    expect(page.get_by_role("status")).to_contain_text("下書きを作成しました")

    # A number of copies, then how to receive: the type is chosen first, then its settings appear.
    _add_question(page, "数値")
    expect(page.get_by_label("小数点以下の桁数")).to_be_visible()
    expect(page.get_by_label("選択肢")).to_have_count(0)
    page.get_by_label("項目ID").fill("copies")
    _field(page, "質問").fill("通数")
    page.get_by_label("最小値").fill("1")
    page.get_by_label("最大値").fill("10")
    _field(page, "単位").fill("通")
    submit(page, page.get_by_role("button", name="保存する"))

    _add_question(page, "選択（1つ）")
    page.get_by_label("項目ID").fill("delivery")
    _field(page, "質問").fill("受け取り方法")
    # A mistake first: the message is at the field and what was typed stays.
    page.get_by_label("選択肢").fill("post|郵送|By post\n窓口だけの行")
    submit(page, page.get_by_role("button", name="保存する"), status=400)
    expect(page.locator(".error-summary")).to_contain_text("2行目")
    expect(page.get_by_label("項目ID")).to_have_value("delivery")
    page.get_by_label("選択肢").fill("post|郵送|By post\ncounter|窓口|At the counter")
    submit(page, page.get_by_role("button", name="保存する"))

    # A second page with the postal address, shown only for 郵送.
    submit(page, page.get_by_role("link", name="ページを追加"))
    page.get_by_label("ページID").fill("mailing")
    _field(page, "見出し").fill("送り先")
    page.get_by_label("最初の質問の項目ID").fill("send_to")
    page.get_by_label("最初の質問の種類").select_option("address")
    _field(page, "最初の質問").fill("送り先の住所")
    submit(page, page.get_by_role("button", name="保存する"))
    section = page.locator("#page-mailing")
    submit(page, section.get_by_role("link", name="表示する条件"))
    page.get_by_label("どの質問の答えで決めますか").select_option("delivery")
    submit(page, page.get_by_role("button", name="この質問で条件を作る"))
    page.get_by_label("選んだ選択肢のどれか").check()
    page.get_by_label("郵送").check()
    submit(page, page.get_by_role("button", name="条件を追加する"))
    expect(page.get_by_text("次のときだけ表示します：「受け取り方法」が「郵送」")).to_be_visible()
    submit(page, page.get_by_role("link", name="申請書の構成に戻る"))

    # The fee: 住民票の写し per copy, the number from 通数.
    submit(page, page.get_by_role("link", name="手数料の行を追加"))
    page.get_by_label("質問の答えの数").check()
    page.get_by_label("数を答える質問").select_option("copies")
    submit(page, page.get_by_role("button", name="保存する"))
    expect(page.locator("#fees")).to_contain_text("「通数」の数")

    # Preview as a resident on a phone: 窓口 skips the address page; the fee is computed; nothing is sent.
    phone = open_page("phone")
    phone.context.add_cookies(page.context.cookies())
    visit(phone, f"{staff_page}form/")
    submit(phone, phone.get_by_role("button", name="住民の画面でプレビュー"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("申請する方")
    _field(phone, "姓").fill("山田")
    _field(phone, "名").fill("太郎")
    phone.get_by_label("セイ").fill("ヤマダ")
    phone.get_by_label("メイ").fill("タロウ")
    phone.get_by_label("通数").fill("2")
    phone.get_by_label("窓口").check()
    submit(phone, phone.get_by_role("button", name="次へ進む").last)
    expect(phone.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    expect(phone.locator("main")).to_contain_text("600円")
    expect(phone.get_by_role("button", name="この内容で申請する")).to_have_count(0)
    with scopes_disabled():
        assert not Submission.objects.exists()

    # Publish, with a confirmation page first.
    visit(page, f"{staff_page}form/")
    submit(page, page.get_by_role("link", name="公開する"))
    expect(page.get_by_role("heading", level=1)).to_have_text("申請書を公開する")
    submit(page, page.get_by_role("button", name="公開する"))
    expect(page.get_by_role("heading", level=1)).to_have_text("版の履歴")
    expect(page.get_by_role("status")).to_contain_text("第1版を公開しました")
    with scopes_disabled():
        live = FormVersion.objects.get(procedure=juminhyo, status=FormVersion.Status.LIVE)
    assert [p["id"] for p in live.definition["pages"]] == ["page1", "mailing"]
    assert live.definition["pages"][1]["condition"] == {"field": "delivery", "equals": "post"}
    assert live.definition["fee"] == {"items": [{"code": "juminhyo", "quantity_field": "copies"}]}
