"""The FAQ chatbot on the demo 南国市: the widget answers 「住民票を取りたい」 with the certificate FAQ and a
link to the online procedure, admits uncertainty for an unrelated question with the department contact,
works without JavaScript, and staff turn the unanswered question into an FAQ. axe-core on every state."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from madoguchi.core.models import Municipality
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_staff, totp_now

from .helpers import assert_accessible, enter_totp_code, expect_path, sign_in_with_password, submit, visit

UNRELATED = "来週の天気はどうなりますか"


@pytest.fixture
def nankoku(transactional_db) -> Municipality:  # type: ignore[no-untyped-def]
    call_command("load_demo", verbosity=0)
    with scopes_disabled():
        return Municipality.objects.get(slug="nankoku")


def _widget(page):  # type: ignore[no-untyped-def]
    return page.get_by_role("complementary", name="AIチャットボットに質問する")


def test_widget_answers_and_admits_uncertainty(open_page, nankoku):
    page = open_page("phone")
    visit(page, "/nankoku/")
    widget = _widget(page)
    log = widget.get_by_role("log")
    box = widget.get_by_role("textbox", name="質問")

    box.fill("住民票を取りたい")
    box.press("Enter")
    answer = log.locator("[data-faq-answer]").last
    expect(answer.get_by_role("heading", level=3)).to_have_text("住民票の写しを取りたい")
    expect(answer.get_by_role("link", name="オンラインで住民票の写しを申請する")).to_have_attribute(
        "href", "/nankoku/procedures/juminhyo/"
    )
    expect(answer.get_by_role("link", name="よくある質問「住民票の写しを取りたい」")).to_be_visible()
    expect(box).to_be_focused()  # ready for the next question
    expect(box).to_have_value("")
    assert_accessible(page)

    answer.get_by_role("button", name="はい").click()
    expect(log.get_by_text("ご意見ありがとうございました。")).to_be_visible()

    box.fill(UNRELATED)
    box.press("Enter")
    unsure = log.locator("[data-faq-answer]").last
    expect(unsure.get_by_role("heading", level=3)).to_have_text("確かな答えが見つかりませんでした")
    expect(unsure.get_by_text("担当窓口にお問い合わせください")).to_be_visible()
    expect(unsure.get_by_text("受付時間")).to_be_visible()
    # Far from every FAQ: the municipality's general contact (企画課, the main number), not a guessed 課.
    expect(unsure.get_by_text("企画課")).to_be_visible()
    expect(unsure.get_by_role("link", name="0888-63-2111")).to_have_attribute("href", "tel:0888632111")
    assert_accessible(page)


def test_chat_works_without_javascript_as_a_search_form(browser, live_server, nankoku):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto("/nankoku/faq/")
        page.get_by_role("textbox", name="質問").fill("住民票を取りたい")
        page.get_by_role("button", name="質問する").click()
        page.wait_for_load_state("load")
        assert "/nankoku/faq/?q=" in page.url
        expect(page.get_by_role("heading", level=3)).to_have_text("住民票の写しを取りたい")
        expect(page.get_by_role("textbox", name="質問")).to_have_value("住民票を取りたい")
    finally:
        context.close()


def test_english_chat_page(open_page, nankoku):
    page = open_page("phone")
    visit(page, "/nankoku/faq/?lang=en&q=" + UNRELATED)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the AI chatbot")
    expect(page.get_by_role("heading", level=3)).to_have_text("We could not find a sure answer")


def test_staff_turn_the_unanswered_question_into_an_faq(open_page, nankoku):
    resident = open_page("phone")
    visit(resident, "/nankoku/faq/?q=" + UNRELATED)
    expect(resident.get_by_role("heading", level=3)).to_have_text("確かな答えが見つかりませんでした")

    page = open_page("desktop")
    admin = make_staff(nankoku, email="faq-admin@nankoku.example.jp")
    sign_in_with_password(page, admin.email, PASSWORD, next_path="/nankoku/staff/faq/misses/")
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    expect_path(page, "/nankoku/staff/faq/misses/")
    assert_accessible(page)
    group = page.get_by_role("region", name=UNRELATED + " 1 件")
    submit(page, group.get_by_role("link", name="新しいFAQにする"))
    expect(page.locator("#id_question")).to_have_value(UNRELATED)
    page.locator("#id_answer").fill("天気予報は気象庁のホームページをご覧ください。")
    submit(page, page.get_by_role("button", name="保存する"))
    expect(page.get_by_text("FAQを保存しました。")).to_be_visible()

    visit(resident, "/nankoku/faq/?q=" + UNRELATED)
    expect(resident.get_by_role("heading", level=3)).to_have_text(UNRELATED)
