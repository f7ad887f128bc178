"""The printable PDF of an application: content, languages, pages, hostile answers, who may print it, audit."""

import io
import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled
from pypdf import PdfReader

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.models import FormVersion, Submission, SubmissionStatus
from madoguchi.procedures.pdf import HANG_MAX, application_pdf, wrap_lines
from madoguchi.procedures.pdf_font import REPLACEMENT, printable

from ..factories import enable_module, make_department, make_staff, make_user, staff_client
from . import pdf_sample

pytestmark = pytest.mark.django_db


def _application(procedure, *, answers=None, status=SubmissionStatus.SUBMITTED, applicant=None, fee_total=600):
    with municipality_scope(procedure.municipality):
        number = (procedure.form_versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = FormVersion.objects.create(
            procedure=procedure, number=number, status=FormVersion.Status.RETIRED, definition=pdf_sample.DEFINITION
        )
        from django.utils import timezone

        submitted = status != SubmissionStatus.DRAFT
        return Submission.objects.create(
            municipality=procedure.municipality,
            procedure=procedure,
            form_version=version,
            department=procedure.department,
            applicant=applicant or make_user(),
            status=status,
            answers=answers if answers is not None else pdf_sample.answers(),
            fee_total=fee_total,
            submitted_at=timezone.now() if submitted else None,
            receipt_number=submissions.receipt_number_issue(municipality=procedure.municipality) if submitted else "",
        )


def _pages(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def _text(content: bytes) -> str:
    return "\n".join(_pages(content))


def _resident(user):
    client = Client()
    client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")
    return client


def _staff_url(submission):
    return f"/city-a/staff/procedures/inbox/{submission.public_id}/pdf/"


def _mine_url(submission):
    return f"/city-a/procedures/mine/{submission.public_id}/pdf/"


def test_staff_copy_has_the_receipt_number_procedure_name_and_answers(city_a, juminhyo_a):
    clerk = make_staff(
        city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department, family_name="窓口", given_name="花"
    )
    application = _application(juminhyo_a)
    with municipality_scope(city_a):
        submissions.submission_change_status(
            submission=application,
            actor=clerk,
            to_status=SubmissionStatus.ACCEPTED,
            text="書類を確認しました。",
            request=None,
        )
        submissions.submission_add_note(
            submission=application, actor=clerk, text="内部メモ：電話で確認済み", request=None
        )
    response = staff_client(clerk).get(_staff_url(application))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    number = application.receipt_number
    assert response["Content-Disposition"] == f"inline; filename=\"{number}.pdf\"; filename*=UTF-8''{number}.pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = _text(response.content)
    assert application.receipt_number in text
    assert "住民票の写し等交付申請" in text
    assert "髙﨑　太郎（タカサキ　タロウ）" in text  # 氏名 with フリガナ, exactly as the summary renders it
    assert "〒939-1692" in text and "富山県南砺市苗島４８８０" in text
    assert "子ども 2" in text and "𠮷野　次郎" in text  # repeated group, item by item
    assert "委任状.pdf（240 KB）" in text  # a file by its name
    assert "昭和60年6月15日（1985-06-15）" in text  # an answered date in 和暦 and 西暦
    assert re.search(r"令和\d+年\d+月\d+日 \d\d:\d\d（\d{4}-\d\d-\d\d）", text)  # submitted at, both calendars
    assert "300円 × 2 = 600円" in text and "600円" in text  # fee line and total
    assert "書類を確認しました。" in text and "処理：窓口 花" in text  # history with who processed it
    assert "内部メモ" not in text  # internal notes are never printed
    assert "印刷者：窓口 花" in text
    assert "1 / 1" in text or "1 / 2" in text


def test_applicant_copy_never_shows_internal_notes_or_staff_names(city_a, juminhyo_a):
    resident = make_user()
    clerk = make_staff(
        city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department, family_name="窓口", given_name="花"
    )
    application = _application(juminhyo_a, applicant=resident)
    with municipality_scope(city_a):
        submissions.submission_change_status(
            submission=application,
            actor=clerk,
            to_status=SubmissionStatus.ACCEPTED,
            text="受け付けました。",
            request=None,
        )
        submissions.submission_add_note(submission=application, actor=clerk, text="秘密のメモ", request=None)
    response = _resident(resident).get(_mine_url(application))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = _text(response.content)
    assert application.receipt_number in text and "髙﨑　太郎" in text and "受付" in text and "受け付けました。" in text
    assert "秘密のメモ" not in text and "窓口 花" not in text and "申請者控え" in text


def test_english_copy(city_a, juminhyo_a):
    resident = make_user()
    application = _application(juminhyo_a, applicant=resident)
    client = _resident(resident)
    response = client.get(_mine_url(application), {"lang": "en"})
    text = _text(response.content)
    assert "Request for a certificate of residence" in text
    assert "Full name" in text and "髙﨑 太郎 (タカサキ タロウ)" in text
    assert "15 June 1985" in text and "Certificate of residence" in text and "¥300 × 2 = ¥600" in text
    assert "Reference number" in text and "Printed: " in text and "applicant's copy" in text
    assert "氏名" not in text and "受付番号" not in text  # labels are English, answers stay as typed


def test_long_text_spans_pages_with_numbering(city_a, juminhyo_a):
    long = "\n".join(f"{n}行目：転居の経緯を詳しく説明します。" * 3 for n in range(1, 120))
    application = _application(juminhyo_a, answers=pdf_sample.answers(details=long))
    with scopes_disabled():
        pages = _pages(application_pdf(application, language="ja", for_staff=False))
    total = len(pages)
    assert total >= 3
    for number, page in enumerate(pages, start=1):
        assert f"{number} / {total}" in page
    joined = "".join(pages)
    assert "119行目" in joined and "1行目" in joined  # nothing lost at the page breaks


def test_hostile_answers_do_not_crash_and_show_a_replacement(city_a, juminhyo_a):
    hostile = ("あ" * 9000) + "\x00\x07\x1b[31m\u202eevil\u202c 🙂👨‍👩‍👧 丆 " + ("x" * 980)
    assert len(hostile) >= 10000
    application = _application(juminhyo_a)
    # In memory only: PostgreSQL's jsonb refuses NUL characters, but the PDF must cope with whatever it gets.
    application.answers = pdf_sample.answers(
        details=hostile,
        purpose="<script>alert(1)</script> ' OR 1=1 -- {nb} %(page)s",
        applicant_name={
            "family_name": "\u202e田中",
            "given_name": "🙂",
            "family_name_kana": "タナカ",
            "given_name_kana": "\x00",
        },
    )
    with scopes_disabled():
        content = application_pdf(application, language="ja", for_staff=True)
    text = _text(content)
    assert "\u202e" not in text and "\x00" not in text and "\x1b" not in text
    assert REPLACEMENT in text and "〓田中" in text
    assert "<script>alert(1)</script> ' OR 1=1 -- {nb} %(page)s" in text  # printed as typed, nothing interprets it
    assert "evil" in text


def test_printable_replaces_what_the_font_cannot_draw():
    assert printable("山田\u202e太郎") == "山田〓太郎"
    assert printable("a\tb\r\nc\x00") == "a b\nc〓"
    assert printable("🙂") == "〓"
    assert printable("\ud800x") == "〓x"  # a lone surrogate (possible in SQLite JSON) too
    assert printable("葛\U000e0100城") == "葛城"  # an ideographic variation selector drops to the base character
    assert printable("髙﨑 ０１２ 𠮷") == "髙﨑 ０１２ 𠮷"


def test_twenty_field_application_is_small(city_a, juminhyo_a):
    application = _application(juminhyo_a)
    with scopes_disabled():
        content = application_pdf(application, language="ja", for_staff=True)
    assert len(pdf_sample.answers()) == 20
    assert len(content) < 200 * 1024
    assert "2 / 2" not in _text(content) or len(_pages(content)) == 2


def test_who_may_print(city_a, city_b, juminhyo_a):
    owner = make_user()
    application = _application(juminhyo_a, applicant=owner)
    # another resident, another 課, another municipality: 404, as if it did not exist
    assert _resident(make_user()).get(_mine_url(application)).status_code == 404
    other_division = make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a, slug="zeimu"))
    assert staff_client(other_division).get(_staff_url(application)).status_code == 404
    enable_module(city_b, "procedures")
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert admin_b.get(f"/city-b/staff/procedures/inbox/{application.public_id}/pdf/").status_code == 404
    assert _resident(owner).get(f"/city-b/procedures/mine/{application.public_id}/pdf/").status_code == 404
    assert _resident(owner).get("/city-a/procedures/mine/not-a-uuid/pdf/").status_code == 404
    # the auditor role may not print applications
    auditor = staff_client(make_staff(city_a, Role.AUDITOR))
    assert auditor.get(_staff_url(application)).status_code == 403
    # anonymous visitors are sent to sign in and get no PDF
    for url in (_mine_url(application), _staff_url(application)):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # a draft has no PDF, for its owner or staff
    draft = _application(juminhyo_a, applicant=owner, status=SubmissionStatus.DRAFT)
    assert _resident(owner).get(_mine_url(draft)).status_code == 404
    assert staff_client(make_staff(city_a)).get(_staff_url(draft)).status_code == 404
    with scopes_disabled(), pytest.raises(ValueError):
        application_pdf(draft, language="ja", for_staff=True)
    # only GET
    assert _resident(owner).post(_mine_url(application)).status_code == 405


def test_printing_is_audited(city_a, juminhyo_a):
    owner = make_user()
    application = _application(juminhyo_a, applicant=owner)
    clerk = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    assert staff_client(clerk).get(_staff_url(application)).status_code == 200
    assert _resident(owner).get(_mine_url(application)).status_code == 200
    with scopes_disabled():
        viewed = AuditEvent.objects.get(action="personal_data.view", actor=clerk)
        downloaded = AuditEvent.objects.get(action="submission.pdf_downloaded", actor=owner)
    assert viewed.object_id == application.receipt_number and viewed.municipality == city_a
    assert viewed.details["format"] == "pdf" and viewed.details["fields"] == sorted(pdf_sample.answers())
    assert downloaded.object_id == application.receipt_number and downloaded.municipality == city_a
    assert "髙﨑" not in str(viewed.details) + str(downloaded.details)  # names of fields, never values


def test_changed_fee_table_shows_the_charged_total_only(city_a, juminhyo_a):
    application = _application(juminhyo_a, fee_total=400)  # charged before the fee table changed
    with scopes_disabled():
        text = _text(application_pdf(application, language="ja", for_staff=False))
    assert "400円" in text and "300円 × 2" not in text and "内訳は表示できません" in text


def _width(text):
    return sum(1.0 if ord(char) > 0x2E7F else 0.5 for char in text)


def test_line_breaking_follows_kinsoku_and_keeps_words_whole():
    lines = wrap_lines("長い説明。長い説明。長い説明。", 4.5, _width)
    assert all(not line.startswith(("。", "、")) for line in lines)
    assert "".join(lines) == "長い説明。長い説明。長い説明。"  # nothing lost or added
    assert max(_width(line) for line in lines) <= 4.5 + HANG_MAX  # punctuation may hang, at most two
    assert wrap_lines("これは「かぎ括弧」です", 4, _width)[0] == "これは"  # 「 never ends a line
    assert wrap_lines("The quick brown fox jumps", 5, _width) == ["The quick", "brown fox", "jumps"]
    assert wrap_lines("Supercalifragilistic", 5, _width) == ["Supercalif", "ragilistic"]  # only when too long
    assert wrap_lines("一行目\n\n三行目", 10, _width) == ["一行目", "", "三行目"]


def test_detail_pages_link_to_the_pdf(city_a, juminhyo_a):
    owner = make_user()
    application = _application(juminhyo_a, applicant=owner)
    mine = _resident(owner).get(f"/city-a/procedures/mine/{application.public_id}/").content.decode()
    assert f'href="{_mine_url(application)}"' in mine and "申請書をPDFで印刷する" in mine
    clerk = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department))
    detail = clerk.get(f"/city-a/staff/procedures/inbox/{application.public_id}/").content.decode()
    assert f'href="{_staff_url(application)}"' in detail
    english = _resident(owner).get(f"/city-a/procedures/mine/{application.public_id}/", {"lang": "en"}).content.decode()
    assert "Print the application (PDF)" in english
