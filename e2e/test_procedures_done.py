"""Issue 3's "Done when", end to end in a browser, in a municipality set up like the demo's 白山市.

A signed-in resident on a phone applies for 住民票の写し等交付申請 (as an agent, so with a 委任状 upload), sees
the fee on the check page, pays by card on the built-in test gateway's hosted page (a declined card first),
comes back to the receipt number and opens the 領収書. A member of 市民課 on a desktop finds the application
in the inbox (by keyword too), accepts it with a bulk action, sees it paid, asks for one answer to be
corrected; the resident corrects exactly that answer, resubmits and writes to the department; staff sees
both, completes the application, downloads its PDF and exports the procedure's CSV. Every page on the way
is checked with axe-core (0 serious/critical violations).

The test gateway's webhook is a django-tasks task enqueued on commit. The test settings use the immediate
backend (asserted below), so it runs inside the request that paid: deterministic, no waiting.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from madoguchi.accounts.models import Role, User
from madoguchi.core.models import Department, ModuleActivation, Municipality
from madoguchi.demo.data import DEPARTMENTS, MUNICIPALITIES, RESIDENTS
from madoguchi.payments.models import Payment, PaymentEvent, PaymentStatus
from madoguchi.procedures.demo import seed_procedures
from madoguchi.procedures.models import Procedure, Submission, SubmissionStatus
from tests.factories import PASSWORD, TEST_TOTP_SECRET, make_municipality, make_staff, make_user, totp_now

from .helpers import enter_totp_code, expect_path, sign_in_with_password, submit, visit

pytestmark = pytest.mark.e2e

# A one-page PDF is enough for the upload checks (they sniff the first bytes and parse the structure).
LETTER_OF_PROXY = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
DECLINED_CARD = "4000 0000 0000 0002"
GOOD_CARD = "4242 4242 4242 4242"


@dataclass
class Hakusan:
    municipality: Municipality
    shimin: Department
    juminhyo: Procedure
    resident: User

    @property
    def slug(self) -> str:
        return self.municipality.slug


@pytest.fixture
def hakusan(transactional_db) -> Hakusan:  # type: ignore[no-untyped-def]
    """白山市 as `load_demo` builds it: its identity, departments, the procedures module with every preset
    published and the 住民票 form live (procedures/demo.py), card and counter payment allowed with a
    test-gateway merchant account (payments/demo.py), and the demo resident 佐藤花子."""
    data = next(m for m in MUNICIPALITIES if m["slug"] == "hakusan")
    with scopes_disabled():
        municipality = make_municipality(
            **data,
            office_hours="平日 8:30〜17:15（土日祝日・12月29日〜1月3日を除く）",
            office_hours_en="Weekdays 8:30–17:15 (closed on weekends, national holidays and 29 Dec–3 Jan)",
        )
        for slug, name, name_en in DEPARTMENTS:
            Department.objects.create(municipality=municipality, slug=slug, name=name, name_en=name_en)
        ModuleActivation.objects.create(municipality=municipality, module_key="procedures", enabled=True)
        seed_procedures(municipality)
        juminhyo = Procedure.objects.get(municipality=municipality, preset_key="juminhyo")
        shimin = Department.objects.get(municipality=municipality, slug="shimin")
    person = next(r for r in RESIDENTS if r["municipality"] == "hakusan")
    profile = {k: v for k, v in person.items() if k not in ("email", "municipality")}
    resident = make_user(
        person["email"],
        home_municipality=municipality,
        prefecture=municipality.prefecture,
        city=municipality.name,
        **profile,
    )
    return Hakusan(municipality=municipality, shimin=shimin, juminhyo=juminhyo, resident=resident)


def _continue(page: Page, *, status: int = 200) -> None:
    submit(page, page.get_by_role("button", name="次へ進む").last, status=status)


def _fill_card(page: Page, number: str) -> None:
    page.get_by_label("カード番号").fill(number)
    page.get_by_label("有効期限（月/年）").fill("12/30")
    page.get_by_label("セキュリティコード").fill("123")


def _sign_in_clerk(page: Page, town: Hakusan, next_path: str) -> User:
    clerk = make_staff(
        town.municipality,
        Role.DEPARTMENT_STAFF,
        department=town.shimin,
        email="shimin@hakusan.example.jp",
        family_name="市民",
        given_name="花子",
    )
    sign_in_with_password(page, clerk.email, PASSWORD, next_path=next_path)
    enter_totp_code(page, totp_now(TEST_TOTP_SECRET))
    expect_path(page, next_path)
    return clerk


def _resident_applies_and_pays(page: Page, town: Hakusan) -> Submission:
    slug = town.slug
    sign_in_with_password(page, town.resident.email, PASSWORD, next_path=f"/{slug}/procedures/juminhyo/")
    expect(page.get_by_role("heading", level=1)).to_have_text("住民票の写し等交付申請")
    submit(page, page.get_by_role("link", name="オンラインで申請する"))
    submit(page, page.get_by_role("button", name="申請を始める"))

    # 申請する方: prefilled from the profile (書かない窓口).
    expect(page.get_by_role("heading", level=1)).to_have_text("申請する方")
    expect(page.locator('[name="applicant_name__family_name"]')).to_have_value("佐藤")
    expect(page.locator('[name="applicant_name__given_name"]')).to_have_value("花子")
    expect(page.locator('[name="applicant_name__family_name_kana"]')).to_have_value("サトウ")
    expect(page.locator('[name="applicant_address__postal_code"]')).to_have_value("924-8688")
    expect(page.locator('[name="applicant_address__city"]')).to_have_value("白山市")
    expect(page.locator('[name="applicant_address__town"]')).to_have_value("倉光")
    expect(page.locator('[name="applicant_phone"]')).to_have_value("08023456789")
    _continue(page)

    # As an agent for someone in another household: the subject page and its 委任状 upload appear.
    expect(page.get_by_role("heading", level=1)).to_have_text("どなたの証明書ですか")
    page.locator('input[name="relationship"][value="agent"]').check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("証明書が必要な方")
    page.locator('[name="subject_name__family_name"]').fill("佐藤")
    page.locator('[name="subject_name__given_name"]').fill("一郎")
    page.locator('[name="subject_name__family_name_kana"]').fill("サトウ")
    page.locator('[name="subject_name__given_name_kana"]').fill("イチロウ")
    page.locator('[name="subject_birth_date"]').fill("昭和30年4月1日")
    page.locator('[name="subject_address__postal_code"]').fill("9240001")
    page.locator('[name="subject_address__prefecture"]').select_option("石川県")
    page.locator('[name="subject_address__city"]').fill("白山市")
    page.locator('[name="subject_address__town"]').fill("成町")
    page.locator('[name="subject_address__street"]').fill("1番地")
    page.locator('input[type="file"][name="power_of_attorney"]').set_input_files(
        {"name": "委任状.pdf", "mimeType": "application/pdf", "buffer": LETTER_OF_PROXY}
    )
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("証明書の内容")
    page.locator('input[name="scope"][value="individual"]').check()
    page.locator('[name="copies"]').fill("2")
    page.locator('input[name="purpose"][value="work"]').check()
    _continue(page)
    page.locator('input[name="delivery"][value="post"]').check()
    _continue(page)
    page.locator('[name="declaration"]').check()
    _continue(page)

    # Check your answers: the answers, the upload, the fee from the table (300円 × 2) and the payment choice.
    expect(page.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    main = page.locator("main")
    expect(main).to_contain_text("イチロウ")
    expect(main).to_contain_text("委任状.pdf")
    expect(page.get_by_test_id("fee-total")).to_have_text("600円")
    expect(page.get_by_role("group", name="お支払い方法")).to_be_visible()
    page.get_by_label("クレジットカード（オンライン）").check()
    submit(page, page.get_by_role("button", name="この内容で申請する"))

    # The built-in test gateway is on our own origin, so the check page redirects straight to its hosted page.
    expect(page.get_by_role("heading", level=1)).to_have_text("お支払い（テスト用決済）")
    expect(page.get_by_test_id("merchant")).to_have_text("白山市")
    expect(page.get_by_test_id("amount")).to_have_text("600円")

    # A mistyped number (fails the check digit): the message is at the field and what was typed stays.
    _fill_card(page, "4242 4242 4242 4241")
    submit(page, page.get_by_role("button", name="600円を支払う"), status=400)
    expect(page.locator(".error-summary")).to_contain_text("カード番号が正しくありません")
    expect(page.get_by_label("カード番号")).to_have_value("4242 4242 4242 4241")
    expect(page.get_by_label("カード番号")).to_have_attribute("aria-invalid", "true")

    # The declined test card next: said in Japanese, nothing paid, another card can be tried.
    _fill_card(page, DECLINED_CARD)
    submit(page, page.get_by_role("button", name="600円を支払う"), status=400)
    expect(page.get_by_role("alert")).to_contain_text("カードが承認されませんでした")
    with scopes_disabled():
        payment = Payment.objects.get(municipality=town.municipality)
        assert payment.status == PaymentStatus.PENDING
        assert not Submission.objects.exclude(status=SubmissionStatus.DRAFT).exists()

    _fill_card(page, GOOD_CARD)
    submit(page, page.get_by_role("button", name="600円を支払う"))

    expect(page.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")
    number = page.get_by_test_id("receipt-number").inner_text()
    assert re.fullmatch(r"HK-R\d+-\d{6}", number), number
    expect(page.get_by_test_id("payment-status")).to_have_text("支払い済み")
    receipt_number = page.get_by_test_id("payment-receipt-number").inner_text()
    assert re.fullmatch(r"HK-R\d+-P\d{6}", receipt_number), receipt_number
    with scopes_disabled():
        submission = Submission.objects.get(receipt_number=number)
        payment.refresh_from_db()
        kinds = set(PaymentEvent.objects.filter(payment=payment).values_list("kind", flat=True))
    assert submission.status == SubmissionStatus.SUBMITTED and submission.fee_total == 600
    assert submission.department_id == town.shimin.pk
    assert payment.status == PaymentStatus.PAID and payment.receipt_number == receipt_number
    # The signed webhook was delivered (by the task) as well as the return redirect.
    assert "webhook" in kinds and "paid" in kinds, kinds

    submit(page, page.get_by_role("link", name="領収書を表示する"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("領収書")
    expect(page.locator("main")).to_contain_text(receipt_number)
    expect(page.locator("main")).to_contain_text("600円")
    receipt_path = page.url.split("/", 3)[3]

    # Another municipality's URL for this payment, or an unknown id: 404, never someone else's receipt.
    with scopes_disabled():
        other = make_municipality(slug="nanto", name="南砺市", name_kana="なんとし", name_en="Nanto City")
        for key in ("procedures", "payments"):
            ModuleActivation.objects.create(municipality=other, module_key=key, enabled=True)
    visit(page, "/" + receipt_path.replace(f"{slug}/", "nanto/", 1), status=404)
    visit(page, f"/{slug}/payments/00000000-0000-4000-8000-000000000000/receipt/", status=404)
    visit(page, f"/{slug}/payments/not-a-uuid/receipt/", status=404)
    return submission


def test_resident_pays_online_and_staff_completes_with_a_correction(open_page, hakusan: Hakusan):
    # The test gateway's webhook task runs in the request that enqueued it: nothing to wait for.
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks.backends.immediate.ImmediateBackend"
    slug = hakusan.slug

    phone = open_page("phone")
    submission = _resident_applies_and_pays(phone, hakusan)
    number = submission.receipt_number

    # --- 市民課 on a desktop: the inbox, by keyword, a bulk action, the application with its payment.
    desk = open_page("desktop")
    inbox = f"/{slug}/staff/procedures/inbox/"
    _sign_in_clerk(desk, hakusan, inbox)
    row = desk.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("住民票の写し等交付申請")
    expect(row).to_contain_text("支払い済み（クレジットカード")
    desk.get_by_label("キーワード").fill("佐藤 花子")
    submit(desk, desk.get_by_role("button", name="絞り込む"))
    expect(desk.locator("table.data caption")).to_have_text("1 件")
    expect(desk.get_by_role("row").filter(has_text=number)).to_have_count(1)
    desk.get_by_label("キーワード").fill("存在しない名前")
    submit(desk, desk.get_by_role("button", name="絞り込む"))
    expect(desk.get_by_role("row").filter(has_text=number)).to_have_count(0)
    desk.get_by_label("キーワード").fill("佐藤")
    submit(desk, desk.get_by_role("button", name="絞り込む"))

    desk.get_by_label(f"{number}を選ぶ").check()
    desk.get_by_label("選んだ申請をまとめて").select_option(label="受付にする")
    submit(desk, desk.get_by_role("button", name="選んだ申請に実行する"))
    expect(desk.get_by_role("status")).to_contain_text(number)
    expect(desk.get_by_role("row").filter(has_text=number)).to_contain_text("受付")

    submit(desk, desk.get_by_role("link", name=number))
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"申請 {number}")
    expect(desk.get_by_test_id("payment-status")).to_have_text("支払い済み")
    expect(desk.locator("main")).to_contain_text("勤務先への提出")
    # The payment itself: paid through the webhook, with its history.
    submit(desk, desk.get_by_role("link", name="詳細・返金"))
    expect(desk.get_by_role("heading", level=1)).to_have_text("お支払いの詳細")
    expect(desk.get_by_test_id("payment-status")).to_have_text("支払い済み")
    expect(desk.locator("main")).to_contain_text("決済代行からの通知")
    submit(desk, desk.get_by_role("link", name=re.compile(re.escape(number))))
    expect(desk.get_by_role("link", name="委任状.pdf")).to_be_visible()

    # A correction request naming one answer: 使用目的.
    correction = desk.locator("form").filter(has=desk.get_by_role("heading", name="補正を依頼する"))
    correction.get_by_label("使用目的", exact=True).check()
    correction.get_by_label("申請者へのメッセージ").fill("使用目的をもう一度ご確認ください。")
    submit(desk, correction.get_by_role("button", name="補正を依頼する"))
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CORRECTION_REQUESTED
    assert submission.correction_fields == ["purpose"]

    # --- The resident on the phone: マイページ shows the request; only that answer can be changed.
    visit(phone, f"/{slug}/procedures/mine/")
    submit(phone, phone.get_by_role("link", name="住民票の写し等交付申請"))
    expect_path(phone, f"/{slug}/procedures/mine/{submission.public_id}/")
    request_box = phone.locator(".notification-warning")
    expect(request_box).to_contain_text("修正をお願いしています")
    expect(phone.locator("main")).to_contain_text("使用目的をもう一度ご確認ください。")
    submit(phone, request_box.get_by_role("link", name="証明書の内容"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("証明書の内容")
    expect(phone.locator("main")).to_contain_text("修正をお願いしている項目だけが変更されます。")
    expect(phone.locator('input[name="purpose"][value="work"]')).to_be_checked()
    phone.locator('input[name="purpose"][value="bank"]').check()
    # Only the answer asked for is on the page: the page's other answers (and so the fee paid) cannot change.
    expect(phone.locator('[name="copies"]')).to_have_count(0)
    submit(phone, phone.get_by_role("button", name="保存する"))
    expect_path(phone, f"/{slug}/procedures/mine/{submission.public_id}/")
    expect(phone.locator("main")).to_contain_text("金融機関の手続")
    submit(phone, phone.get_by_role("button", name="修正して再提出する"))
    expect(phone.locator("main")).to_contain_text("審査中")
    phone.get_by_role("textbox", name="担当課へのメッセージ").fill(
        "使用目的を金融機関の手続に直しました。よろしくお願いします。"
    )
    submit(phone, phone.get_by_role("button", name="メッセージを送る"))
    expect(phone.locator("main")).to_contain_text("使用目的を金融機関の手続に直しました。")
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.status == SubmissionStatus.IN_REVIEW
    assert submission.answers["purpose"] == "bank" and submission.answers["copies"] == 2
    assert submission.fee_total == 600

    # --- Staff: the corrected answer and the message, then 完了 through the allowed steps.
    staff_page = f"/{slug}/staff/procedures/inbox/{submission.public_id}/"
    visit(desk, staff_page)
    main = desk.locator("main")
    expect(main).to_contain_text("金融機関の手続")
    expect(main).not_to_contain_text("勤務先への提出")
    expect(main).to_contain_text("使用目的を金融機関の手続に直しました。")
    expect(main).to_contain_text("審査中")
    status_form = desk.locator("form").filter(has=desk.get_by_role("heading", name="状態を変更する"))
    status_form.get_by_label("新しい状態").select_option(label="完了")
    submit(desk, status_form.get_by_role("button", name="変更する"))
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.status == SubmissionStatus.COMPLETED
    expect(desk.locator("main dl.summary").first).to_contain_text("完了")

    # The PDF of the application (the link's target, fetched with the clerk's session).
    pdf_href = desk.get_by_role("link", name="申請書をPDFで印刷する").get_attribute("href")
    assert pdf_href
    pdf = desk.request.get(pdf_href)
    assert pdf.status == 200, pdf.status
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF-")

    # The CSV of the procedure from the inbox: UTF-8 with BOM (Excel), a header, the application's row.
    visit(desk, inbox)
    desk.get_by_label("手続").select_option(label="住民票の写し等交付申請")
    desk.get_by_label("CSV（Excel向け、UTF-8）").check()
    with desk.expect_download() as download_info:
        desk.get_by_role("button", name="書き出す（手続と申請日の範囲を選んでください）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    path = download.path()
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), raw[:20]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    # Machine-readable columns (ids and stored values), so a 基幹系 import does not depend on the wording.
    assert header[:5] == ["receipt_number", "status", "submitted_at", "applicant_email", "fee_total"], header
    assert "purpose" in header and "copies" in header, header
    matching = [r for r in body if r and r[0] == number]
    assert len(matching) == 1, body
    csv_row = dict(zip(header, matching[0], strict=True))
    assert csv_row["status"] == "completed" and csv_row["fee_total"] == "600", csv_row
    assert csv_row["applicant_email"] == hakusan.resident.email, csv_row
    assert csv_row["purpose"] == "bank" and csv_row["copies"] == "2", csv_row
