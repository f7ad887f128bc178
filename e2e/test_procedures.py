"""電子申請 (procedures): the resident catalogue at a phone viewport (browse, search, a procedure page in Japanese and
English) and the staff back office at a desktop viewport (a preset added, edited and published; the inbox with
one application processed). Every page is checked with axe-core."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import Locator, Page, expect

from madoguchi.core.models import Department
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import (
    FormVersion,
    Procedure,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published
from tests.factories import PASSWORD, TEST_TOTP_SECRET, enable_module, make_department, make_staff, make_user, totp_now

from . import helpers
from .conftest import Town
from .helpers import enter_totp_code, expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e

JUMINHYO = "住民票の写し等交付申請"
JUMINHYO_EN = "Request for a certificate of residence (jūminhyō)"
KOSEKI = "戸籍証明書等交付申請"
SODAIGOMI = "粗大ごみ収集の申込"
# Hiragana, katakana, CJK ideographs, Japanese punctuation and full-width forms.
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

ANSWERS = {
    "applicant_name": {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
    },
    "applicant_phone": "09012345678",
    "relationship": "self",
    "scope": "household_all",
    "copies": 2,
    "purpose": "employment",
    "delivery": "post",
    "declaration": True,
}


@dataclass
class ProceduresTown:
    town: Town
    juminhyo: Procedure
    koseki: Procedure

    @property
    def catalogue(self) -> str:
        return f"/{self.town.municipality.slug}/procedures/"

    @property
    def staff(self) -> str:
        return f"{self.town.staff}procedures/"


@pytest.fixture
def procedures_town(town: Town) -> ProceduresTown:
    """南砺市 with 電子申請 switched on and two presets published: 住民票 (市民課, 引越し) and 戸籍 (結婚・離婚, 死亡・相続)."""
    municipality = town.municipality
    enable_module(municipality, "procedures")
    with scopes_disabled():
        Department.objects.filter(municipality=municipality, slug="shimin").update(phone="0763232004")
    published = []
    with municipality_scope(municipality):
        for key in ("juminhyo", "koseki"):
            procedure = procedure_preset_enable(municipality=municipality, actor=None, key=key, request=None)
            published.append(procedure_set_published(procedure=procedure, actor=None, published=True, request=None))
    return ProceduresTown(town=town, juminhyo=published[0], koseki=published[1])


def _application(procedure: Procedure, *, email: str, status: str = SubmissionStatus.SUBMITTED) -> Submission:
    applicant = make_user(email)
    with municipality_scope(procedure.municipality):
        version, _created = FormVersion.objects.get_or_create(
            procedure=procedure,
            number=1,
            defaults={"status": FormVersion.Status.LIVE, "definition": example_json("juminhyo")},
        )
        return Submission.objects.create(
            municipality=procedure.municipality,
            procedure=procedure,
            form_version=version,
            department=procedure.department,
            applicant=applicant,
            status=status,
            answers=ANSWERS,
            fee_total=600,
            submitted_at=timezone.now(),
            receipt_number=submissions.receipt_number_issue(municipality=procedure.municipality),
        )


def _staff_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="職員メニュー")


def _sign_in_admin(page: Page, town: Town, email: str, next_path: str) -> None:
    admin = make_staff(town.municipality, email=email, family_name="管理", given_name="太郎")
    sign_in_with_password(page, admin.email, PASSWORD, next_path=next_path)
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    expect_path(page, next_path)


def _results(page: Page) -> Locator:
    return page.get_by_role("list", name=re.compile("件の手続"))


# --- Resident ------------------------------------------------------------------------------------------------


def test_resident_browses_searches_and_reads_a_procedure(open_page, procedures_town):
    page = open_page("phone")
    catalogue = procedures_town.catalogue

    # The catalogue page: a search form and two browse lists (life events, categories).
    visit(page, catalogue)
    expect(page.get_by_role("heading", level=1)).to_have_text("手続をさがす")
    search = page.get_by_role("search", name="手続の検索")
    expect(search).to_be_visible()
    life_events = page.get_by_role("heading", name="ライフイベントからさがす").locator("xpath=following-sibling::ul[1]")
    expect(life_events.get_by_role("link")).to_have_count(10)
    expect(life_events.get_by_role("link", name="引越し")).to_be_visible()
    categories = page.get_by_role("heading", name="分類からさがす").locator("xpath=following-sibling::ul[1]")
    expect(categories.get_by_role("link")).to_have_count(10)
    expect(categories.get_by_role("link", name="証明書")).to_be_visible()

    # A keyword search: 「住民票」 finds 住民票の写し等交付申請 and nothing else.
    search.get_by_label("キーワード").fill("住民票")
    submit(page, search.get_by_role("button", name="さがす"))
    expect(page.get_by_role("heading", level=2, name="1 件の手続")).to_be_visible()
    cards = _results(page).get_by_role("listitem").filter(has=page.get_by_role("heading", level=3))
    expect(cards).to_have_count(1)
    expect(cards.first.get_by_role("link", name=JUMINHYO)).to_be_visible()
    expect(cards.first).to_contain_text("住民票の写し 300円")
    expect(search.get_by_label("キーワード")).to_have_value("住民票")

    # No result: a message that says what to try, and the typed word is kept.
    search.get_by_label("キーワード").fill("パスポート")
    submit(page, search.get_by_role("button", name="さがす"))
    expect(page.get_by_role("heading", level=2, name="0 件の手続")).to_be_visible()
    expect(page.locator("main")).to_contain_text("条件に合う手続は見つかりませんでした")
    expect(page.get_by_role("link", name=JUMINHYO)).to_have_count(0)
    expect(search.get_by_label("キーワード")).to_have_value("パスポート")

    # Browse by a life event: 引越し lists 住民票, not 戸籍 (結婚・離婚, 死亡・相続).
    visit(page, catalogue)
    submit(page, page.get_by_role("link", name="引越し"))
    expect(page.get_by_role("search", name="手続の検索").get_by_label("ライフイベント")).to_have_value("moving")
    expect(page.get_by_role("heading", level=2, name="1 件の手続")).to_be_visible()
    expect(page.get_by_role("link", name=KOSEKI)).to_have_count(0)

    # The procedure page: what to prepare, the fee, the processing days and the attachments.
    submit(page, page.get_by_role("link", name=JUMINHYO))
    expect_path(page, f"{catalogue}juminhyo/")
    expect(page.get_by_role("heading", level=1)).to_have_text(JUMINHYO)
    breadcrumbs = page.get_by_role("navigation", name="パンくずリスト")
    expect(breadcrumbs.get_by_role("link", name="手続をさがす")).to_have_attribute("href", catalogue)
    summary = page.locator("dl.summary")
    expect(_dd(summary, "手数料")).to_have_text("住民票の写し：300円（1通）")
    expect(_dd(summary, "標準処理日数")).to_have_text("3日")
    expect(_dd(summary, "担当")).to_have_text("市民課 電話 0763-23-2004")
    preparation = page.get_by_role("heading", level=2, name="用意するもの").locator("xpath=following-sibling::p[1]")
    expect(preparation).to_contain_text("マイナンバーカード")
    attachments = page.get_by_role("heading", level=2, name="添付書類").locator("xpath=following-sibling::ul[1]")
    expect(attachments.get_by_role("listitem")).to_have_text(["委任状（代理人が申請する場合）"])


def test_procedure_page_in_english(open_page, procedures_town):
    page = open_page("phone")
    visit(page, f"{procedures_town.catalogue}juminhyo/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(JUMINHYO_EN)
    summary = page.locator("dl.summary")
    expect(_dd(summary, "Fee")).to_contain_text("Certificate of residence")
    expect(_dd(summary, "Fee")).to_contain_text("¥300 (per copy)")
    expect(_dd(summary, "Standard processing time")).to_have_text("3 days")
    preparation = page.get_by_role("heading", level=2, name="What you need").locator("xpath=following-sibling::p[1]")
    expect(preparation).to_contain_text("My Number Card")
    attachments = page.get_by_role("heading", level=2, name="Supporting documents").locator(
        "xpath=following-sibling::ul[1]"
    )
    expect(attachments.get_by_role("listitem")).to_have_count(1)
    expect(attachments.get_by_role("listitem")).to_contain_text("Letter of proxy")
    expect(attachments.get_by_role("listitem")).to_contain_text("If a proxy applies")


def test_english_procedure_page_has_no_japanese_punctuation(open_page, procedures_town):
    page = open_page("phone")
    visit(page, f"{procedures_town.catalogue}juminhyo/?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text(JUMINHYO_EN)
    summary = page.locator("dl.summary")
    # The legal basis is a statute's Japanese name with no English field: left out on purpose.
    texts = {
        term: _dd(summary, term).inner_text()
        for term in (
            "Who can apply",
            "Identity verification",
            "Fee",
            "Standard processing time",
            "How you get the result",
            "Division",
        )
    }
    attachments = page.get_by_role("heading", level=2, name="Supporting documents").locator(
        "xpath=following-sibling::ul[1]"
    )
    texts["Supporting documents"] = attachments.inner_text()
    japanese = {term: text for term, text in texts.items() if JAPANESE.search(text)}
    assert not japanese, f"Japanese characters on the English page: {japanese}"


# --- Staff ---------------------------------------------------------------------------------------------------


def test_preset_buttons_are_large_enough_to_press(open_page, procedures_town):
    page = open_page("desktop")
    _sign_in_admin(page, procedures_town.town, "kanri@nanto.example.jp", procedures_town.town.staff)
    visit(page, f"{procedures_town.staff}presets/", check=False)
    expect(page.get_by_role("button", name=f"追加する {SODAIGOMI}")).to_be_visible()
    helpers.assert_accessible(page)


def test_admin_adds_edits_and_publishes_a_preset(open_page, procedures_town):
    town = procedures_town.town
    department = make_department(town.municipality, slug="seikatsu-kankyo", name="生活環境課", name_en="Environment")
    page = open_page("desktop")
    _sign_in_admin(page, town, "kanri@nanto.example.jp", town.staff)

    # 手続の管理 lists the two published procedures; the preset list offers the others with a 課 to choose.
    submit(page, _staff_nav(page).get_by_role("link", name="手続の管理"))
    expect_path(page, procedures_town.staff)
    expect(page.locator("table.data caption")).to_have_text("2 件")
    expect(page.get_by_role("row", name=re.compile(JUMINHYO))).to_contain_text("公開中")
    submit(page, page.get_by_role("link", name="ひな形から手続を追加"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ひな形から手続を追加")
    expect(page.get_by_role("row", name=re.compile(JUMINHYO))).to_contain_text("追加済み")
    row = page.get_by_role("row", name=re.compile(SODAIGOMI))
    row.get_by_label(f"{SODAIGOMI}の担当課").select_option(label="生活環境課")
    submit(page, row.get_by_role("button", name=f"追加する {SODAIGOMI}"))

    # The new procedure opens in its edit form, unpublished and with the chosen 課.
    expect(page.get_by_role("heading", level=1)).to_have_text("手続の編集")
    expect(page.get_by_role("status")).to_contain_text("ひな形から手続を作成しました")
    expect(page.locator("main")).to_contain_text("この手続は非公開です。")
    expect(page.get_by_label("担当課")).to_have_value(str(department.pk))
    expect(_field(page, "手続名")).to_have_value(SODAIGOMI)

    # One mistake first: the error summary takes focus, links to the field, and what was typed is kept.
    _field(page, "手続名").fill("粗大ごみ戸別収集の申込")
    page.get_by_label("標準処理日数").fill("400")
    submit(page, page.get_by_role("button", name="保存する"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_have_text("標準処理日数：標準処理日数は365日以内にしてください。")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_processing_days")
    expect(page.get_by_label("標準処理日数")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("標準処理日数")).to_have_value("400")
    expect(_field(page, "手続名")).to_have_value("粗大ごみ戸別収集の申込")
    expect(page.get_by_label("担当課")).to_have_value(str(department.pk))

    page.get_by_label("標準処理日数").fill("10")
    submit(page, page.get_by_role("button", name="保存する"))
    expect_path(page, procedures_town.staff)
    expect(page.get_by_role("status")).to_contain_text("手続を保存しました")
    row = page.get_by_role("row", name=re.compile("粗大ごみ戸別収集の申込"))
    expect(row).to_contain_text("生活環境課")
    expect(row).to_contain_text("非公開")

    # Publish it from the list.
    submit(page, row.get_by_role("button", name="公開する 粗大ごみ戸別収集の申込"))
    expect_path(page, procedures_town.staff)
    expect(page.get_by_role("status")).to_contain_text("公開しました")
    expect(page.get_by_role("row", name=re.compile("粗大ごみ戸別収集の申込"))).to_contain_text("公開中")
    with scopes_disabled():
        procedure = Procedure.objects.get(municipality=town.municipality, preset_key="sodaigomi")
    assert procedure.is_published and procedure.processing_days == 10
    assert procedure.name == "粗大ごみ戸別収集の申込" and procedure.department_id == department.pk


def test_staff_processes_an_application(open_page, procedures_town):
    town = procedures_town.town
    juminhyo = procedures_town.juminhyo
    done = _application(juminhyo, email="done@example.jp", status=SubmissionStatus.COMPLETED)
    application = _application(juminhyo, email="yamada.taro@example.jp")
    page = open_page("desktop")
    _sign_in_admin(page, town, "kanri@nanto.example.jp", town.staff)

    # 申請の受付: both applications, then only the 申請済 one.
    submit(page, _staff_nav(page).get_by_role("link", name="申請の受付"))
    expect_path(page, f"{procedures_town.staff}inbox/")
    table = page.locator("table.data")
    expect(table.locator("caption")).to_have_text("2 件")
    expect(table.get_by_role("link", name=done.receipt_number)).to_be_visible()
    filters = page.get_by_role("search", name="申請の絞り込み")
    filters.get_by_label("状態").select_option(label="申請済")
    submit(page, filters.get_by_role("button", name="絞り込む"))
    expect(table.locator("caption")).to_have_text("1 件")
    expect(table.get_by_role("link", name=done.receipt_number)).to_have_count(0)
    expect(filters.get_by_label("状態")).to_have_value("submitted")
    row = page.get_by_role("row", name=re.compile(application.receipt_number))
    expect(row).to_contain_text(JUMINHYO)
    expect(row).to_contain_text("申請済")

    # The application: the answers read as a resident wrote them, and the fee.
    submit(page, row.get_by_role("link", name=application.receipt_number))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"申請 {application.receipt_number}")
    overview = page.locator("dl.summary").first
    expect(_dd(overview, "状態")).to_have_text("申請済")
    expect(_dd(overview, "手数料")).to_have_text("600円")
    expect(_dd(overview, "申請者のメールアドレス")).to_have_text("yamada.taro@example.jp")
    answers = page.locator("h2:text-is('申請内容') ~ dl.summary")
    expect(_dd(answers, "氏名")).to_have_text("山田\u3000太郎（ヤマダ\u3000タロウ）")
    expect(_dd(answers, "電話番号")).to_have_text("090-1234-5678")
    expect(_dd(answers, "通数")).to_have_text("2通")

    # 申請済 → 受付.
    status_form = page.locator("form", has=page.get_by_role("heading", name="状態を変更する"))
    status_form.get_by_label("新しい状態").select_option(label="受付")
    submit(page, status_form.get_by_role("button", name="変更する"))
    expect(page.get_by_role("status")).to_contain_text("保存しました")
    expect(_dd(page.locator("dl.summary").first, "状態")).to_have_text("受付")

    # A correction request: nothing chosen first (the error is shown, the message kept), then 通数.
    correction = page.locator("form", has=page.get_by_role("heading", name="補正を依頼する"))
    correction.get_by_label("申請者へのメッセージ").fill("必要な通数をもう一度ご確認ください。")
    submit(page, correction.get_by_role("button", name="補正を依頼する"), status=400)
    correction = page.locator("form", has=page.get_by_role("heading", name="補正を依頼する"))
    error = correction.locator(".error-summary")
    expect(error).to_be_focused()
    expect(error.get_by_role("link")).to_have_text("直してもらう項目：直してもらう項目を1つ以上選んでください。")
    expect(error.get_by_role("link")).to_have_attribute("href", "#id_answer_ids_0")
    expect(correction.get_by_label("申請者へのメッセージ")).to_have_value("必要な通数をもう一度ご確認ください。")
    correction.get_by_role("group", name=re.compile("直してもらう項目")).get_by_label("通数").check()
    submit(page, correction.get_by_role("button", name="補正を依頼する"))
    expect(page.get_by_role("status")).to_contain_text("保存しました")
    expect(_dd(page.locator("dl.summary").first, "状態")).to_have_text("補正依頼")
    answers = page.locator("h2:text-is('申請内容') ~ dl.summary")
    expect(answers.locator("dt", has_text="通数")).to_contain_text("補正依頼中")

    # An internal note.
    note = page.locator("form", has=page.get_by_role("heading", name=re.compile("内部メモを残す")))
    note.get_by_label("本文").fill("電話で本人に確認済み。")
    submit(page, note.get_by_role("button", name="メモを保存"))
    expect(page.get_by_role("status")).to_contain_text("保存しました")

    # The history shows the three, in order, the note marked internal.
    history = page.locator("h2:text-is('履歴') + ol").get_by_role("listitem")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("状態の変更 — 申請済 → 受付")
    expect(history.nth(0)).to_contain_text("管理 太郎")
    expect(history.nth(1)).to_contain_text("状態の変更 — 受付 → 補正依頼")
    expect(history.nth(1)).to_contain_text("必要な通数をもう一度ご確認ください。")
    expect(history.nth(2)).to_contain_text("内部メモ")
    expect(history.nth(2)).to_contain_text("内部")
    expect(history.nth(2)).to_contain_text("電話で本人に確認済み。")
    with scopes_disabled():
        application.refresh_from_db()
        kinds = list(SubmissionEvent.objects.filter(submission=application).values_list("kind", flat=True))
    assert application.status == SubmissionStatus.CORRECTION_REQUESTED
    assert application.correction_fields == ["copies"]
    assert kinds == ["status", "status", "note"]


def _field(scope: Page | Locator, label: str) -> Locator:
    """The control labelled exactly `label`, with or without the 必須 marker."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}(\s*必須)?$"))


def _dd(summary: Locator, term: str) -> Locator:
    """The <dd> that follows the <dt> whose text is exactly `term`, within a description list."""
    return summary.locator(f"dt:text-is('{term}') + dd")
