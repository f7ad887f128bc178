"""What happens to an application once it exists: receipt numbers, staff processing, messages, withdrawal."""

import datetime
import threading
import zoneinfo

import pytest
from django.core import mail
from django.db import connection
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.models import FormVersion, Submission, SubmissionEvent, SubmissionStatus

from ..factories import make_department, make_staff, make_user

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _submission(procedure, *, applicant=None, status=SubmissionStatus.SUBMITTED, answers=None):
    municipality = procedure.municipality
    with municipality_scope(municipality):
        version, _ = FormVersion.objects.get_or_create(
            procedure=procedure,
            number=1,
            defaults={"status": FormVersion.Status.LIVE, "definition": {"schema": 1, "pages": []}},
        )
        return Submission.objects.create(
            municipality=municipality,
            procedure=procedure,
            form_version=version,
            department=procedure.department,
            applicant=applicant,
            status=status,
            answers=answers or {"copies": 1, "purpose": "就職"},
            receipt_number=submissions.receipt_number_issue(municipality=municipality),
        )


def test_receipt_numbers_follow_the_fiscal_year_in_japanese_era(city_a):
    with municipality_scope(city_a):
        march = datetime.datetime(2027, 3, 31, 23, 0, tzinfo=TOKYO)  # still 令和8年度
        april = datetime.datetime(2027, 4, 1, 9, 0, tzinfo=TOKYO)  # 令和9年度 starts again at 1
        first = submissions.receipt_number_issue(municipality=city_a, when=march)
        second = submissions.receipt_number_issue(municipality=city_a, when=march)
        next_year = submissions.receipt_number_issue(municipality=city_a, when=april)
    prefix = city_a.receipt_prefix
    assert (first, second, next_year) == (f"{prefix}-R8-000001", f"{prefix}-R8-000002", f"{prefix}-R9-000001")


def test_receipt_numbers_are_per_municipality(city_a, city_b):
    with municipality_scope(city_a):
        a = submissions.receipt_number_issue(municipality=city_a)
    with municipality_scope(city_b):
        b = submissions.receipt_number_issue(municipality=city_b)
    assert a.endswith("-000001") and b.endswith("-000001") and a != b


@pytest.mark.django_db(transaction=True)
def test_parallel_connections_get_distinct_gap_free_numbers(city_a):
    numbers: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def issue() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                with municipality_scope(city_a):
                    from django.db import transaction

                    with transaction.atomic():
                        number = submissions.receipt_number_issue(municipality=city_a)
                with lock:
                    numbers.append(number)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(int(number.rsplit("-", 1)[1]) for number in numbers) == list(range(1, 31))


def test_staff_move_an_application_through_the_allowed_states(city_a, juminhyo_a):
    applicant = make_user("applicant@example.jp")
    staff = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    submission = _submission(juminhyo_a, applicant=applicant)
    with municipality_scope(city_a):
        for status in (SubmissionStatus.ACCEPTED, SubmissionStatus.IN_REVIEW, SubmissionStatus.COMPLETED):
            submission = submissions.submission_change_status(
                submission=submission, actor=staff, to_status=status, request=None
            )
        assert submission.status == SubmissionStatus.COMPLETED and submission.completed_at is not None
        history = list(submission.events.values_list("from_status", "to_status"))
    assert history == [("submitted", "accepted"), ("accepted", "in_review"), ("in_review", "completed")]
    assert (
        AuditEvent.objects.filter(action="submission.status_changed", object_id=submission.receipt_number).count() == 3
    )
    assert len(mail.outbox) == 0  # queued on commit; see the transactional test below


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (SubmissionStatus.SUBMITTED, SubmissionStatus.COMPLETED),
        (SubmissionStatus.COMPLETED, SubmissionStatus.IN_REVIEW),
        (SubmissionStatus.WITHDRAWN, SubmissionStatus.ACCEPTED),
        (SubmissionStatus.REJECTED, SubmissionStatus.COMPLETED),
        (SubmissionStatus.SUBMITTED, "nonsense"),
    ],
)
def test_disallowed_transitions_are_refused_with_the_current_state(city_a, juminhyo_a, start, target):
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    submission = _submission(juminhyo_a, status=start)
    with municipality_scope(city_a), pytest.raises(ServiceError) as excinfo:
        submissions.submission_change_status(submission=submission, actor=staff, to_status=target, request=None)
    assert excinfo.value.code == "transition_not_allowed"
    with scopes_disabled():
        assert Submission.objects.get(pk=submission.pk).status == start


def test_rejection_needs_a_reason(city_a, juminhyo_a):
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    submission = _submission(juminhyo_a)
    with municipality_scope(city_a), pytest.raises(ServiceError) as excinfo:
        submissions.submission_change_status(
            submission=submission, actor=staff, to_status="rejected", text=" ", request=None
        )
    assert excinfo.value.field == "text"


def test_correction_request_names_existing_answers_only(city_a, juminhyo_a):
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    submission = _submission(juminhyo_a, status=SubmissionStatus.IN_REVIEW)
    with municipality_scope(city_a):
        with pytest.raises(ServiceError) as excinfo:
            submissions.submission_request_correction(
                submission=submission, actor=staff, fields=["no_such_field"], message="直してください", request=None
            )
        assert excinfo.value.field == "fields"
        updated = submissions.submission_request_correction(
            submission=submission,
            actor=staff,
            fields=["purpose", "purpose", "bogus"],
            message="目的を具体的に",
            request=None,
        )
    assert updated.status == SubmissionStatus.CORRECTION_REQUESTED and updated.correction_fields == ["purpose"]


def test_department_staff_cannot_touch_another_departments_applications(city_a, juminhyo_a):
    other = make_department(city_a, slug="zeimu", name="税務課")
    outsider = make_staff(city_a, Role.DEPARTMENT_STAFF, department=other)
    submission = _submission(juminhyo_a)
    with municipality_scope(city_a):
        for call in (
            lambda: submissions.submission_change_status(
                submission=submission, actor=outsider, to_status="accepted", request=None
            ),
            lambda: submissions.submission_add_note(submission=submission, actor=outsider, text="メモ", request=None),
            lambda: submissions.submission_message_applicant(
                submission=submission, actor=outsider, text="連絡", request=None
            ),
        ):
            with pytest.raises(ServiceError) as excinfo:
                call()
            assert excinfo.value.status == 404


def test_notes_are_internal_and_messages_are_not(city_a, juminhyo_a):
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    submission = _submission(juminhyo_a, applicant=make_user())
    with municipality_scope(city_a):
        submissions.submission_add_note(submission=submission, actor=staff, text="本人確認済み", request=None)
        submissions.submission_message_applicant(
            submission=submission, actor=staff, text="書類が届きました", request=None
        )
        visible = list(submission.events.filter(internal=False).values_list("kind", flat=True))
    assert visible == [SubmissionEvent.Kind.MESSAGE_TO_APPLICANT]


def test_assignment_only_to_staff_who_can_see_the_application(city_a, juminhyo_a):
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    colleague = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    outsider = make_staff(city_a, Role.COUNTER_STAFF)
    submission = _submission(juminhyo_a)
    with municipality_scope(city_a):
        assigned = submissions.submission_assign(submission=submission, actor=admin, assignee=colleague, request=None)
        assert assigned.assignee == colleague
        with pytest.raises(ServiceError):
            submissions.submission_assign(submission=submission, actor=admin, assignee=outsider, request=None)


def test_applicant_withdraws_an_open_application_only(city_a, juminhyo_a):
    applicant = make_user()
    stranger = make_user()
    submission = _submission(juminhyo_a, applicant=applicant)
    with municipality_scope(city_a):
        with pytest.raises(ServiceError) as excinfo:
            submissions.submission_withdraw(submission=submission, applicant=stranger, reason="", request=None)
        assert excinfo.value.status == 404
        withdrawn = submissions.submission_withdraw(
            submission=submission, applicant=applicant, reason="不要になった", request=None
        )
        assert withdrawn.status == SubmissionStatus.WITHDRAWN
        with pytest.raises(ServiceError) as excinfo:
            submissions.submission_withdraw(submission=withdrawn, applicant=applicant, reason="", request=None)
        assert excinfo.value.code == "not_withdrawable"


@pytest.mark.django_db(transaction=True)
def test_the_applicant_is_told_by_email_one_message_each(city_a, juminhyo_a):
    applicant = make_user("told@example.jp")
    staff = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    submission = _submission(juminhyo_a, applicant=applicant)
    with municipality_scope(city_a):
        submissions.submission_change_status(submission=submission, actor=staff, to_status="accepted", request=None)
        submissions.submission_request_correction(
            submission=submission, actor=staff, fields=["purpose"], message="目的を具体的に書いてください", request=None
        )
    assert [message.to for message in mail.outbox] == [["told@example.jp"], ["told@example.jp"]]
    assert submission.receipt_number in mail.outbox[0].subject
    assert "目的を具体的に書いてください" in mail.outbox[1].body
    assert "/staff/" not in mail.outbox[1].body  # never a link to staff screens


def test_a_submitted_application_must_have_a_receipt_number(city_a, juminhyo_a):
    from django.db import IntegrityError, transaction

    submission = _submission(juminhyo_a)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        Submission.objects.filter(pk=submission.pk).update(receipt_number="")
