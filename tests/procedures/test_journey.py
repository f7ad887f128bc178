"""The resident's journey: start (prefilled), page by page, check answers, submit exactly once."""

import re
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.builder import form_definition_publish
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import IdentityLevel, Procedure, Submission, SubmissionStatus

from ..factories import make_user

pytestmark = pytest.mark.django_db

PAGES = {
    "applicant": {
        "applicant_name__family_name": "山田",
        "applicant_name__given_name": "太郎",
        "applicant_name__family_name_kana": "ヤマダ",
        "applicant_name__given_name_kana": "タロウ",
        "applicant_address__postal_code": "939-1596",
        "applicant_address__prefecture": "富山県",
        "applicant_address__city": "南砺市",
        "applicant_address__town": "苗島",
        "applicant_address__street": "4880",
        "applicant_phone": "0763-23-2000",
    },
    "whose": {"relationship": "self"},
    "certificate": {"scope": "individual", "copies": "2", "purpose": "work"},
    "delivery": {"delivery": "post"},
    "declaration": {"declaration": "on"},
}


@pytest.fixture
def online_juminhyo(city_a, juminhyo_a):
    """住民票 online with the engine's example form; account sign-in is enough for these tests."""
    with municipality_scope(city_a):
        form_definition_publish(procedure=juminhyo_a, actor=None, request=None, definition=example_json("juminhyo"))
        Procedure.objects.filter(pk=juminhyo_a.pk).update(identity_level=IdentityLevel.ACCOUNT)
    juminhyo_a.refresh_from_db()
    return juminhyo_a


def _start(client):
    response = client.post("/city-a/procedures/juminhyo/apply/")
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def _walk(client, first_url):
    url = first_url
    for page_id, data in PAGES.items():
        assert url.endswith(f"/{page_id}/"), url
        response = client.post(url, data)
        assert response.status_code == 302, (page_id, response.content.decode()[:2000])
        url = response["Location"]
    assert url.endswith("/check/")
    return url


@pytest.mark.django_db(transaction=True)
def test_a_resident_applies_and_gets_a_receipt_number(online_juminhyo):
    resident = make_user("applicant@example.jp", family_name="山田", given_name="太郎")
    client = Client()
    client.force_login(resident)
    first = _start(client)
    prefilled = client.get(first).content.decode()
    assert 'value="山田"' in prefilled  # 書かない: the profile fills the form
    check_url = _walk(client, first)
    check = client.get(check_url).content.decode()
    assert "ヤマダ" in check and "600円" in check  # 300円 × 2 copies
    done = client.post(check_url)
    assert done.status_code == 302 and done["Location"].endswith("/done/")
    page = client.get(done["Location"]).content.decode()
    number = re.search(r'data-testid="receipt-number">([A-Z]+-R\d+-\d{6})<', page).group(1)
    with scopes_disabled():
        submission = Submission.objects.get(receipt_number=number)
    assert submission.status == SubmissionStatus.SUBMITTED and submission.fee_total == 600
    assert submission.answers["copies"] == 2 and submission.applicant == resident
    assert mail.outbox and number in mail.outbox[-1].subject


def test_validation_errors_keep_what_was_typed(online_juminhyo):
    client = Client()
    client.force_login(make_user())
    first = _start(client)
    response = client.post(
        first, {**PAGES["applicant"], "applicant_name__family_name_kana": "やま田", "applicant_phone": "12"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "カタカナ" in body and 'value="やま田"' in body and 'value="12"' in body


def test_check_page_sends_back_to_unfinished_pages(online_juminhyo):
    client = Client()
    client.force_login(make_user())
    first = _start(client)
    client.post(first, PAGES["applicant"])
    check_url = first.rsplit("/", 2)[0] + "/check/"
    response = client.post(check_url)
    assert response.status_code == 400
    assert "入力が済んでいない項目" in response.content.decode()
    with scopes_disabled():
        assert not Submission.objects.exclude(status=SubmissionStatus.DRAFT).exists()


def test_conditions_show_the_subject_page_only_for_others(online_juminhyo):
    client = Client()
    client.force_login(make_user())
    first = _start(client)
    client.post(first, PAGES["applicant"])
    whose = first.rsplit("/", 2)[0] + "/whose/"
    assert client.post(whose, {"relationship": "self"})["Location"].endswith("/certificate/")
    assert client.post(whose, {"relationship": "household"})["Location"].endswith("/subject/")


def test_submitting_twice_creates_one_application(online_juminhyo):
    client = Client()
    client.force_login(make_user())
    check_url = _walk(client, _start(client))
    first = client.post(check_url)
    second = client.post(check_url)
    assert first["Location"] == second["Location"]
    with scopes_disabled():
        assert Submission.objects.exclude(status=SubmissionStatus.DRAFT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_submits_of_one_draft_make_one_application(online_juminhyo):
    resident = make_user()
    client = Client()
    client.force_login(resident)
    check_url = _walk(client, _start(client))
    cookies = client.cookies
    barrier = threading.Barrier(5)
    locations: list[str] = []

    def submit() -> None:
        other = Client()
        other.cookies = cookies
        try:
            barrier.wait(timeout=10)
            locations.append(other.post(check_url)["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(locations) == 5 and len(set(locations)) == 1
    with scopes_disabled():
        submitted = Submission.objects.exclude(status=SubmissionStatus.DRAFT)
        assert submitted.count() == 1 and submitted.get().receipt_number.endswith("-000001")


def test_drafts_are_private(online_juminhyo):
    owner = Client()
    owner.force_login(make_user())
    first = _start(owner)
    stranger = Client()
    stranger.force_login(make_user())
    assert stranger.get(first).status_code == 404
    assert Client().get(first).status_code == 404
    assert owner.get(first.replace(first.split("/")[-3], "not-a-uuid")).status_code == 404


def test_sign_in_and_my_number_card_requirements(online_juminhyo):
    anonymous = Client().get("/city-a/procedures/juminhyo/apply/")
    assert "ログインして申請する" in anonymous.content.decode()
    assert Client().post("/city-a/procedures/juminhyo/apply/").status_code == 200  # no draft without sign-in
    with scopes_disabled():
        Procedure.objects.filter(pk=online_juminhyo.pk).update(identity_level=IdentityLevel.MY_NUMBER_CARD)
    client = Client()
    client.force_login(make_user())
    page = client.post("/city-a/procedures/juminhyo/apply/").content.decode()
    assert "マイナンバーカードによる本人確認が必要です" in page
    with scopes_disabled():
        assert not Submission.objects.exists()


def test_procedures_without_an_online_form_cannot_be_started(client, juminhyo_a):
    assert client.get("/city-a/procedures/juminhyo/apply/").status_code == 404


def _submitted(client):
    check_url = _walk(client, _start(client))
    done = client.post(check_url)["Location"]
    with scopes_disabled():
        return Submission.objects.exclude(status=SubmissionStatus.DRAFT).latest("pk"), done


def test_my_applications_list_and_privacy(online_juminhyo):
    owner = Client()
    owner.force_login(make_user())
    submission, _ = _submitted(owner)
    listing = owner.get("/city-a/procedures/mine/").content.decode()
    assert submission.receipt_number in listing
    detail = owner.get(f"/city-a/procedures/mine/{submission.public_id}/")
    assert detail.status_code == 200 and "申請済" in detail.content.decode()
    stranger = Client()
    stranger.force_login(make_user())
    assert submission.receipt_number not in stranger.get("/city-a/procedures/mine/").content.decode()
    assert stranger.get(f"/city-a/procedures/mine/{submission.public_id}/").status_code == 404
    assert Client().get("/city-a/procedures/mine/").status_code == 302  # sign-in first


def test_correction_request_answered_by_the_resident(online_juminhyo, city_a):
    from madoguchi.accounts.models import Role
    from madoguchi.procedures import submissions

    from ..factories import make_staff

    resident = make_user()
    owner = Client()
    owner.force_login(resident)
    submission, _ = _submitted(owner)
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    with municipality_scope(city_a):
        submissions.submission_change_status(submission=submission, actor=staff, to_status="accepted", request=None)
        submissions.submission_request_correction(
            submission=submission, actor=staff, fields=["copies"], message="通数をご確認ください", request=None
        )
    detail = owner.get(f"/city-a/procedures/mine/{submission.public_id}/").content.decode()
    assert "修正をお願いしています" in detail and "通数をご確認ください" in detail
    # Only the page with the answer to correct can be edited, and only that answer is taken.
    assert owner.get(f"/city-a/procedures/mine/{submission.public_id}/correct/delivery/").status_code == 404
    response = owner.post(
        f"/city-a/procedures/mine/{submission.public_id}/correct/certificate/",
        {"scope": "household_all", "copies": "3", "purpose": "work"},
    )
    assert response.status_code == 302
    owner.post(f"/city-a/procedures/mine/{submission.public_id}/resubmit/")
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.status == SubmissionStatus.IN_REVIEW and submission.correction_fields == []
    assert submission.answers["copies"] == 3 and submission.answers["scope"] == "individual"


def test_a_correction_page_asks_only_what_staff_asked_and_keeps_other_pages_answers(online_juminhyo, city_a):
    from madoguchi.accounts.models import Role
    from madoguchi.procedures import submissions

    from ..factories import make_staff

    owner = Client()
    owner.force_login(make_user())
    submission, _ = _submitted(owner)
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    with municipality_scope(city_a):
        submissions.submission_change_status(submission=submission, actor=staff, to_status="accepted", request=None)
        submissions.submission_request_correction(
            submission=submission, actor=staff, fields=["copies", "delivery"], message="確認を", request=None
        )
    url = f"/city-a/procedures/mine/{submission.public_id}/correct/certificate/"
    page = owner.get(url).content.decode()
    assert 'name="copies"' in page and 'name="scope"' not in page and 'name="purpose"' not in page
    # A hostile post of an answer not asked for changes nothing; an error keeps what was typed.
    refused = owner.post(url, {"copies": "99", "scope": "household_all"})
    assert refused.status_code == 400 and 'value="99"' in refused.content.decode()
    assert owner.post(url, {"copies": "3", "scope": "household_all"}).status_code == 302
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.answers["copies"] == 3 and submission.answers["scope"] == "individual"
    assert submission.answers["delivery"] == "post"  # asked for on another page: not cleared by this one
    delivery = owner.post(f"/city-a/procedures/mine/{submission.public_id}/correct/delivery/", {"delivery": "counter"})
    assert delivery.status_code == 302
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.answers["delivery"] == "counter" and submission.answers["copies"] == 3


def test_resident_withdraws_an_application(online_juminhyo):
    owner = Client()
    owner.force_login(make_user())
    submission, _ = _submitted(owner)
    assert (
        owner.post(f"/city-a/procedures/mine/{submission.public_id}/withdraw/", {"reason": "不要"}).status_code == 302
    )
    with scopes_disabled():
        submission.refresh_from_db()
    assert submission.status == SubmissionStatus.WITHDRAWN
    again = owner.post(f"/city-a/procedures/mine/{submission.public_id}/withdraw/", follow=True).content.decode()
    assert "取り下げられません" in again
