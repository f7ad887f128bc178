"""The audit log: append-only in the application and in the database, retention, personal-data reads."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent, AuditLogIsAppendOnly
from madoguchi.audit.services import audit_prune_expired, audit_record
from madoguchi.audit.tasks import prune_audit_events

from .factories import make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_or_deleted_through_the_application(city_a):
    event = audit_record(action="test.action", municipality=city_a, details={"a": 1})
    event.action = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.action"


def test_database_refuses_updates_even_with_raw_sql(city_a):
    event = audit_record(action="test.action", municipality=city_a)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["tampered", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.action"


def test_deleting_an_account_keeps_its_events_with_the_label(city_a):
    user = make_user("leaving@example.jp")
    audit_record(action="test.action", actor=user, municipality=city_a)
    user.delete()
    event = AuditEvent.objects.get(action="test.action")
    assert event.actor_id is None and event.actor_label == "leaving@example.jp"


def test_secrets_never_reach_the_log(city_a):
    event = audit_record(
        action="test.action",
        municipality=city_a,
        details={"password": "hunter2", "nested": {"client_secret": "s"}, "ok": 1},
    )
    assert event.details == {"password": "[redacted]", "nested": {"client_secret": "[redacted]"}, "ok": 1}


def test_retention_prunes_only_old_events_of_that_municipality(city_a, city_b):
    old_a = audit_record(action="old", municipality=city_a)
    old_b = audit_record(action="old", municipality=city_b)
    recent_a = audit_record(action="recent", municipality=city_a)
    long_ago = timezone.now() - datetime.timedelta(days=city_a.audit_retention_days + 1)
    with connection.cursor() as cursor:
        # Age two events. The triggers refuse UPDATE, so the test replaces the rows with old timestamps.
        for event in (old_a, old_b):
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
            cursor.execute(
                "INSERT INTO audit_auditevent (id, occurred_at, actor_label, municipality_id, action, object_type,"
                " object_id, request_id, details) VALUES (%s, %s, '', %s, 'old', '', '', '', '{}')",
                [event.pk, long_ago, event.municipality_id],
            )
    deleted = prune_audit_events.enqueue(city_a.pk).return_value
    assert deleted == 1
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert old_a.pk not in remaining and old_b.pk in remaining and recent_a.pk in remaining
    pruned = AuditEvent.objects.get(action="audit.pruned", municipality=city_a)
    assert pruned.details["deleted"] == 1


def test_nothing_to_prune_writes_no_event(city_a):
    audit_record(action="recent", municipality=city_a)
    assert audit_prune_expired(municipality=city_a) == 0
    assert not AuditEvent.objects.filter(action="audit.pruned").exists()


def test_retention_below_one_year_is_refused_by_the_database(city_a):
    from django.db import IntegrityError

    from madoguchi.core.models import Municipality

    with pytest.raises(IntegrityError), transaction.atomic():
        Municipality.objects.filter(pk=city_a.pk).update(audit_retention_days=30)


def test_staff_reading_a_residents_personal_data_is_logged(city_a):
    counter = make_staff(city_a, Role.COUNTER_STAFF)
    resident = make_user(family_name="山田", given_name="太郎", family_name_kana="ヤマダ", home_municipality=city_a)
    client = staff_client(counter)
    search = client.get("/city-a/staff/residents/", {"q": "ヤマダ"})
    assert "山田" in search.content.decode()
    detail = client.get(f"/city-a/staff/residents/{resident.public_id}/")
    assert detail.status_code == 200
    event = AuditEvent.objects.get(action="personal_data.view")
    assert event.actor == counter and event.municipality == city_a
    assert event.object_id == str(resident.public_id)
    assert "birth_date" in event.details["fields"]
    assert AuditEvent.objects.filter(action="personal_data.search", actor=counter).count() == 1


def test_audit_screen_filters_and_exports_csv(city_a):
    auditor = make_staff(city_a, Role.AUDITOR)
    audit_record(action="department.created", municipality=city_a, actor=auditor, object_id="abc")
    audit_record(action='=HYPERLINK("x")', municipality=city_a, actor=auditor)
    client = staff_client(auditor)
    page = client.get("/city-a/staff/audit/", {"action": "department"})
    assert page.status_code == 200 and "department.created" in page.content.decode()
    response = client.get("/city-a/staff/audit/export.csv", {"object_id": "abc"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # BOM so Excel reads UTF-8
    lines = content.strip().splitlines()
    assert len(lines) == 2 and "department.created" in lines[1]
    assert AuditEvent.objects.filter(action="audit.exported", actor=auditor).exists()


def test_audit_search_rejects_reversed_dates_with_a_field_message(city_a):
    auditor = make_staff(city_a, Role.AUDITOR)
    response = staff_client(auditor).get(
        "/city-a/staff/audit/", {"date_from": "令和8年4月2日", "date_to": "2026-04-01"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "終了日は開始日以降の日付にしてください" in body
    assert 'value="令和8年4月2日"' in body
