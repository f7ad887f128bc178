"""The inbox keyword search: receipt number exactly, or partial words of 氏名・フリガナ・住所・phone・e-mail."""

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.procedures.models import Submission
from madoguchi.procedures.search_text import submission_search_text

from ..factories import make_department, make_staff, make_user
from .test_inbox_bulk import _staff_client
from .test_journey import _submitted, online_juminhyo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def yamada(online_juminhyo):  # noqa: F811
    client = Client()
    client.force_login(make_user("taro.search@example.jp"))
    return _submitted(client)[0]


@pytest.mark.parametrize(
    "query",
    ["山田", "ﾔﾏﾀﾞ", "やまだ たろう", "山田太郎", "苗島 4880", "0763232000", "taro.search", "TARO.SEARCH@EXAMPLE.JP"],
)
def test_staff_find_an_application_by_what_the_resident_typed(yamada, city_a, query):
    client = _staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    page = client.get("/city-a/staff/procedures/inbox/", {"q": query}).content.decode()
    assert yamada.receipt_number in page


@pytest.mark.parametrize("query", ["佐藤", "山田 佐藤", "%", "_", "' OR 1=1 --", "\\"])
def test_other_words_find_nothing(yamada, city_a, query):
    client = _staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    response = client.get("/city-a/staff/procedures/inbox/", {"q": query})
    assert response.status_code == 200 and yamada.receipt_number not in response.content.decode()


def test_receipt_number_matches_exactly(yamada, city_a):
    client = _staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    page = client.get("/city-a/staff/procedures/inbox/", {"q": yamada.receipt_number.lower()}).content.decode()
    assert yamada.receipt_number in page


def test_search_respects_the_department_scope(yamada, city_a):
    outsider = make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a, slug="zei", name="税務課"))
    page = _staff_client(outsider).get("/city-a/staff/procedures/inbox/", {"q": "山田"}).content.decode()
    assert yamada.receipt_number not in page


def test_search_text_leaves_out_storage_details_and_is_bounded():
    text = submission_search_text(
        receipt_number="HK-R8-000001",
        email="a@example.jp",
        answers={
            "doc": {"name": "住民票.pdf", "ref": "SECRETREF", "sha256": "ab" * 32, "size": 10, "content_type": "x/y"},
            "children": [{"child_name": {"family_name": "佐藤", "given_name": "花子"}}],
            "agree": True,
            "long": "あ" * 50_000,
        },
    )
    assert "住民票.pdf" in text and "佐藤花子" in text
    assert "secretref" not in text and "true" not in text
    assert len(text) == 20_000


def test_correction_refreshes_what_search_finds(yamada, city_a):
    from madoguchi.core.tenancy import municipality_scope
    from madoguchi.procedures import journey, submissions

    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    with municipality_scope(city_a):
        submissions.submission_change_status(submission=yamada, actor=admin, to_status="accepted", request=None)
        submissions.submission_request_correction(
            submission=yamada, actor=admin, fields=["applicant_phone"], message="電話番号を確認", request=None
        )
        with scopes_disabled():
            applicant = Submission.objects.get(pk=yamada.pk).applicant
        journey.correction_save(submission=yamada, applicant=applicant, answers={"applicant_phone": "0312345678"})
        journey.correction_resubmit(submission=yamada, applicant=applicant, request=None)
    client = _staff_client(admin)
    assert yamada.receipt_number in client.get("/city-a/staff/procedures/inbox/", {"q": "0312345678"}).content.decode()
    assert (
        yamada.receipt_number not in client.get("/city-a/staff/procedures/inbox/", {"q": "0763232000"}).content.decode()
    )
