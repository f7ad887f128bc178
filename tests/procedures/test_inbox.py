"""The staff inbox: who sees which applications, the detail page, and every processing action over HTTP."""

import pytest
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import FormVersion, Submission, SubmissionEvent, SubmissionStatus

from ..factories import make_department, make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db

ANSWERS = {
    "applicant_name": {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
    },
    "applicant_phone": "09012345678",
    "relationship": "self",
    "copies": 2,
    "purpose": "employment",
    "delivery": "post",
    "declaration": True,
}


def _application(procedure, *, status=SubmissionStatus.SUBMITTED, applicant=None):
    with municipality_scope(procedure.municipality):
        version, _ = FormVersion.objects.get_or_create(
            procedure=procedure,
            number=1,
            defaults={"status": FormVersion.Status.LIVE, "definition": example_json("juminhyo")},
        )
        from django.utils import timezone

        return Submission.objects.create(
            municipality=procedure.municipality,
            procedure=procedure,
            form_version=version,
            department=procedure.department,
            applicant=applicant or make_user(),
            status=status,
            answers=ANSWERS,
            fee_total=600,
            submitted_at=timezone.now(),
            receipt_number=submissions.receipt_number_issue(municipality=procedure.municipality),
        )


def test_inbox_lists_the_departments_applications_and_filters(city_a, juminhyo_a):
    staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department))
    first = _application(juminhyo_a)
    second = _application(juminhyo_a, status=SubmissionStatus.COMPLETED)
    body = staff.get("/city-a/staff/procedures/inbox/").content.decode()
    assert first.receipt_number in body and second.receipt_number in body
    only_open = staff.get("/city-a/staff/procedures/inbox/", {"status": "submitted"}).content.decode()
    assert first.receipt_number in only_open and second.receipt_number not in only_open
    by_number = staff.get("/city-a/staff/procedures/inbox/", {"q": second.receipt_number}).content.decode()
    assert second.receipt_number in by_number and first.receipt_number not in by_number
    bad = staff.get("/city-a/staff/procedures/inbox/", {"date_from": "2026-05-01", "date_to": "R8.4.1"})
    assert bad.status_code == 400 and "終了日は開始日以降" in bad.content.decode()


def test_other_departments_and_municipalities_see_nothing(city_a, city_b, juminhyo_a):
    application = _application(juminhyo_a)
    outsider = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a, slug="zeimu")))
    assert application.receipt_number not in outsider.get("/city-a/staff/procedures/inbox/").content.decode()
    assert outsider.get(f"/city-a/staff/procedures/inbox/{application.public_id}/").status_code == 404
    from ..factories import enable_module

    enable_module(city_b, "procedures")
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert admin_b.get(f"/city-b/staff/procedures/inbox/{application.public_id}/").status_code == 404
    assert (
        admin_b.post(
            f"/city-b/staff/procedures/inbox/{application.public_id}/status/", {"status": "accepted"}
        ).status_code
        == 404
    )


def test_detail_shows_the_answers_readably_and_audits_the_view(city_a, juminhyo_a):
    staff_user = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    application = _application(juminhyo_a)
    body = staff_client(staff_user).get(f"/city-a/staff/procedures/inbox/{application.public_id}/").content.decode()
    assert "山田" in body and "ヤマダ" in body and "600円" in body
    event = AuditEvent.objects.get(action="personal_data.view", object_id=application.receipt_number)
    assert event.actor == staff_user and "applicant_name" in event.details["fields"]


def test_processing_actions_over_http(city_a, juminhyo_a):
    staff_user = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    client = staff_client(staff_user)
    application = _application(juminhyo_a)
    base = f"/city-a/staff/procedures/inbox/{application.public_id}"
    assert client.post(f"{base}/status/", {"status": "accepted"}).status_code == 302
    assert client.post(f"{base}/note/", {"note-text": "本人確認済み"}).status_code == 302
    assert client.post(f"{base}/message/", {"message-text": "書類を確認しています"}).status_code == 302
    assert client.post(f"{base}/assign/", {"assignee": str(staff_user.pk)}).status_code == 302
    assert (
        client.post(f"{base}/correction/", {"answer_ids": ["copies"], "message": "通数をご確認ください"}).status_code
        == 302
    )
    with scopes_disabled():
        application.refresh_from_db()
        kinds = list(SubmissionEvent.objects.filter(submission=application).values_list("kind", flat=True))
    assert application.status == SubmissionStatus.CORRECTION_REQUESTED and application.correction_fields == ["copies"]
    assert application.assignee == staff_user
    assert kinds == ["status", "note", "message_to_applicant", "assignment", "status"]


def test_action_errors_stay_on_the_page_with_input_kept(city_a, juminhyo_a):
    client = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    application = _application(juminhyo_a)
    base = f"/city-a/staff/procedures/inbox/{application.public_id}"
    reject = client.post(f"{base}/status/", {"status": "rejected", "text": "   "})
    assert reject.status_code == 400 and "却下の理由を入力してください" in reject.content.decode()
    not_allowed = client.post(f"{base}/status/", {"status": "completed"})
    assert not_allowed.status_code == 400
    correction = client.post(f"{base}/correction/", {"message": "直してください"})
    assert correction.status_code == 400  # 申請済 cannot be sent back yet, and no field was chosen
    empty_note = client.post(f"{base}/note/", {"note-text": ""})
    assert empty_note.status_code == 400 and "本文を入力してください" in empty_note.content.decode()
    with scopes_disabled():
        assert Submission.objects.get(pk=application.pk).status == SubmissionStatus.SUBMITTED


def test_counter_staff_have_no_inbox(city_a, juminhyo_a):
    counter = staff_client(make_staff(city_a, Role.COUNTER_STAFF))
    assert counter.get("/city-a/staff/procedures/inbox/").status_code == 403


def test_inbox_query_count_does_not_grow(city_a, juminhyo_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    _application(juminhyo_a)
    client.get("/city-a/staff/procedures/inbox/")
    with CaptureQueriesContext(connection) as few:
        client.get("/city-a/staff/procedures/inbox/")
    for _ in range(10):
        _application(juminhyo_a, applicant=make_user())
    with CaptureQueriesContext(connection) as many:
        client.get("/city-a/staff/procedures/inbox/")
    assert len(many.captured_queries) == len(few.captured_queries)


def _csv(response) -> list[list[str]]:
    import csv
    import io

    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_csv_export_for_core_systems(city_a, juminhyo_a):
    staff_user = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    client = staff_client(staff_user)
    first = _application(juminhyo_a)
    with scopes_disabled():
        Submission.objects.filter(pk=first.pk).update(
            answers={**ANSWERS, "purpose": "other", "purpose_detail": '=HYPERLINK("http://evil")'}
        )
    _application(juminhyo_a)
    response = client.get("/city-a/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    header, data = rows[0], rows[1:]
    assert header[:5] == ["receipt_number", "status", "submitted_at", "applicant_email", "fee_total"]
    assert "applicant_name.family_name_kana" in header and "copies" in header and "declaration" not in header
    assert len(data) == 2
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    exported = by_number[first.receipt_number]
    assert exported["applicant_name.family_name"] == "山田" and exported["copies"] == "2"
    assert exported["purpose_detail"].startswith("'=")  # never a live formula in Excel
    assert AuditEvent.objects.filter(action="submission.exported", actor=staff_user).count() == 1


def test_csv_export_needs_a_procedure_and_respects_scope(city_a, city_b, juminhyo_a):
    admin = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    missing = admin.get("/city-a/staff/procedures/inbox/export.csv")
    assert missing.status_code == 400 and "書き出す手続を選んでください" in missing.content.decode()
    _application(juminhyo_a)
    outsider = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a, slug="zeimu")))
    refused = outsider.get("/city-a/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk})
    assert refused.status_code == 400  # not one of this person's procedures: an invalid choice, nothing exported
    from ..factories import enable_module

    enable_module(city_b, "procedures")
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert admin_b.get("/city-b/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk}).status_code == 400
