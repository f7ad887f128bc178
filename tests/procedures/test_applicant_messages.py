"""Messages from the applicant to the department on マイページ: open applications only, the owner only."""

import pytest
from django.core import mail
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.models import SubmissionEvent

from ..factories import make_staff, make_user
from .test_journey import _submitted, online_juminhyo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(online_juminhyo, city_a):  # noqa: F811
    resident = make_user()
    client = Client()
    client.force_login(resident)
    submission, _ = _submitted(client)
    return client, resident, submission


def _url(submission, tail=""):
    return f"/city-a/procedures/mine/{submission.public_id}/{tail}"


def test_the_applicant_writes_to_the_department_and_the_assignee_is_told(
    applied, city_a, django_capture_on_commit_callbacks
):
    client, resident, submission = applied
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    with municipality_scope(city_a):
        submissions.submission_assign(submission=submission, actor=staff, assignee=staff, request=None)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(submission, "message/"), {"text": "添付した書類の件、承知しました。"})
    assert response.status_code == 302 and response["Location"] == _url(submission)
    with scopes_disabled():
        event = SubmissionEvent.objects.get(submission=submission, kind=SubmissionEvent.Kind.MESSAGE_FROM_APPLICANT)
        assert event.actor == resident and not event.internal
        assert AuditEvent.objects.filter(action="submission.applicant_message", actor=resident).count() == 1
    assert [message.to for message in mail.outbox] == [[staff.email]]
    assert submission.receipt_number in mail.outbox[0].subject
    assert "承知しました" not in mail.outbox[0].body  # the text stays in the application, not in the mail
    detail = client.get(_url(submission)).content.decode()
    assert "承知しました" in detail


def test_an_empty_or_oversized_message_keeps_the_text_and_says_why(applied):
    client, _resident, submission = applied
    empty = client.post(_url(submission, "message/"), {"text": "   "})
    assert empty.status_code == 400 and "メッセージを入力してください" in empty.content.decode()
    long_text = "あ" * 5001
    too_long = client.post(_url(submission, "message/"), {"text": long_text})
    page = too_long.content.decode()
    assert too_long.status_code == 400 and "5,000文字以内" in page and long_text in page
    with scopes_disabled():
        assert not SubmissionEvent.objects.filter(kind=SubmissionEvent.Kind.MESSAGE_FROM_APPLICANT).exists()


def test_closed_applications_take_no_messages(applied, city_a):
    client, _resident, submission = applied
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    with municipality_scope(city_a):
        submissions.submission_change_status(
            submission=submission, actor=staff, to_status="rejected", text="要件を満たしません", request=None
        )
    assert "担当課へのメッセージ" not in client.get(_url(submission)).content.decode()
    response = client.post(_url(submission, "message/"), {"text": "再検討をお願いします"}, follow=True)
    assert "メッセージを送れません" in response.content.decode()
    with scopes_disabled():
        assert not SubmissionEvent.objects.filter(kind=SubmissionEvent.Kind.MESSAGE_FROM_APPLICANT).exists()


def test_nobody_else_can_write_on_an_application(applied, city_b):
    _client, _resident, submission = applied
    stranger = Client()
    stranger.force_login(make_user())
    assert stranger.post(_url(submission, "message/"), {"text": "なりすまし"}).status_code == 404
    assert Client().post(_url(submission, "message/"), {"text": "x"}).status_code == 302  # sign in first
    # The same id under another municipality's path is unknown there.
    other = Client()
    other.force_login(_resident)
    path = f"/{city_b.slug}/procedures/mine/{submission.public_id}/message/"
    assert other.post(path, {"text": "x"}).status_code == 404
    with scopes_disabled():
        assert not SubmissionEvent.objects.filter(kind=SubmissionEvent.Kind.MESSAGE_FROM_APPLICANT).exists()
