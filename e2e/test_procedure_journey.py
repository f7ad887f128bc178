"""電子申請: a resident applies for 住民票の写し online on a phone — start, each page (one error on the way),
check answers with the fee, submit, the receipt number, then マイページ. Every page is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.builder import form_definition_publish
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import IdentityLevel, Procedure, Submission, SubmissionStatus
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published
from tests.factories import PASSWORD, enable_module, make_user

from .conftest import Town
from .helpers import expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def online_juminhyo(town: Town) -> Procedure:
    municipality = town.municipality
    enable_module(municipality, "procedures")
    with municipality_scope(municipality):
        procedure = procedure_preset_enable(municipality=municipality, actor=None, key="juminhyo", request=None)
        procedure_set_published(procedure=procedure, actor=None, published=True, request=None)
        form_definition_publish(procedure=procedure, actor=None, request=None, definition=example_json("juminhyo"))
    with scopes_disabled():
        Procedure.objects.filter(pk=procedure.pk).update(identity_level=IdentityLevel.ACCOUNT)
    return procedure


def _continue(page: Page, *, status: int = 200) -> None:
    submit(page, page.get_by_role("button", name="次へ進む").last, status=status)


def test_resident_applies_online_and_finds_it_in_my_page(open_page, town: Town, online_juminhyo: Procedure):
    resident = make_user(
        "applicant@example.jp",
        family_name="山田",
        given_name="花子",
        family_name_kana="ヤマダ",
        given_name_kana="ハナコ",
        postal_code="9391596",
        prefecture="富山県",
        city="南砺市",
        town="苗島",
        street="4880",
    )
    page = open_page("phone")
    slug = town.municipality.slug
    sign_in_with_password(page, resident.email, PASSWORD, next_path=f"/{slug}/procedures/juminhyo/")
    submit(page, page.get_by_role("link", name="オンラインで申請する"))
    expect(page.get_by_role("heading", level=2, name="始める前に")).to_be_visible()
    submit(page, page.get_by_role("button", name="申請を始める"))

    # 申請者: prefilled from the profile (書かない); one mistake first, kept and explained at the field.
    expect(page.locator('[name="applicant_name__family_name"]')).to_have_value("山田")
    expect(page.locator('[name="applicant_address__town"]')).to_have_value("苗島")
    page.locator('[name="applicant_phone"]').fill("12")
    _continue(page, status=400)
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator('[name="applicant_phone"]')).to_have_value("12")
    expect(page.locator('[name="applicant_phone"]')).to_have_attribute("aria-invalid", "true")
    page.locator('[name="applicant_phone"]').fill("0763-23-2000")
    _continue(page)

    page.locator('input[name="relationship"][value="self"]').check()
    _continue(page)
    page.locator('input[name="scope"][value="individual"]').check()
    page.locator('[name="copies"]').fill("2")
    page.locator('input[name="purpose"][value="work"]').check()
    _continue(page)
    page.locator('input[name="delivery"][value="post"]').check()
    _continue(page)
    page.locator('[name="declaration"]').check()
    _continue(page)

    # Check your answers: the answers read back and the fee from the municipality's table.
    expect(page.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    expect(page.locator("main")).to_contain_text("ヤマダ")
    expect(page.locator("main")).to_contain_text("600円")
    submit(page, page.get_by_role("button", name="この内容で申請する"))

    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")
    number = page.get_by_test_id("receipt-number").inner_text()
    assert re.fullmatch(r"[A-Z]{2,4}-R\d+-\d{6}", number), number
    with scopes_disabled():
        submission = Submission.objects.get(receipt_number=number)
    assert submission.status == SubmissionStatus.SUBMITTED and submission.fee_total == 600

    visit(page, f"/{slug}/procedures/mine/")
    submit(page, page.get_by_role("link", name="住民票の写し等交付申請"))
    expect_path(page, f"/{slug}/procedures/mine/{submission.public_id}/")
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text("申請済")
