"""Drafts nobody came back to are deleted after PROCEDURE_DRAFT_RETENTION_DAYS, with an e-mail notice before."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.audit.models import AuditEvent
from madoguchi.core.maintenance import daily_maintenance
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import journey
from madoguchi.procedures.models import Submission, SubmissionStatus

from ..factories import make_user
from .test_journey import PAGES, _start, _submitted, online_juminhyo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _age(submission, days):
    with scopes_disabled():
        Submission.objects.filter(pk=submission.pk).update(updated_at=timezone.now() - datetime.timedelta(days=days))


def _draft_of(client):
    _start(client)
    with scopes_disabled():
        return Submission.objects.filter(status=SubmissionStatus.DRAFT).latest("pk")


@pytest.fixture
def resident_draft(online_juminhyo, settings):  # noqa: F811
    settings.PROCEDURE_DRAFT_RETENTION_DAYS = 30
    client = Client()
    resident = make_user()
    client.force_login(resident)
    return client, resident, _draft_of(client)


def test_notice_once_then_deletion_with_audit(resident_draft, city_a, django_capture_on_commit_callbacks):
    _client, resident, draft = resident_draft
    _age(draft, 22)
    with municipality_scope(city_a), django_capture_on_commit_callbacks(execute=True):
        assert journey.drafts_expire(municipality=city_a) == journey.DraftExpiry(noticed=0, deleted=0)
    _age(draft, 24)
    with municipality_scope(city_a), django_capture_on_commit_callbacks(execute=True):
        first = journey.drafts_expire(municipality=city_a)
        second = journey.drafts_expire(municipality=city_a)
    assert first == journey.DraftExpiry(noticed=1, deleted=0) and second.noticed == 0
    assert [message.to for message in mail.outbox] == [[resident.email]]
    expires = timezone.localtime(timezone.now() - datetime.timedelta(days=24)).date() + datetime.timedelta(days=30)
    assert "住民票" in mail.outbox[0].subject and f"{expires.day}日" in mail.outbox[0].body
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.expiry_notified_at is not None
    assert timezone.now() - draft.updated_at > datetime.timedelta(days=23)  # the notice did not restart the clock
    _age(draft, 31)
    with municipality_scope(city_a):
        assert journey.drafts_expire(municipality=city_a).deleted == 1
    with scopes_disabled():
        assert not Submission.objects.filter(pk=draft.pk).exists()
        event = AuditEvent.objects.get(action="submission.drafts_expired")
    assert event.municipality == city_a and event.details["count"] == 1


def test_coming_back_restarts_the_clock_and_allows_a_new_notice(resident_draft, city_a):
    client, _resident, draft = resident_draft
    _age(draft, 25)
    with municipality_scope(city_a):
        journey.drafts_expire(municipality=city_a)
    first_page = next(iter(PAGES))
    response = client.post(f"/city-a/procedures/juminhyo/apply/{draft.public_id}/{first_page}/", PAGES[first_page])
    assert response.status_code == 302
    with scopes_disabled():
        draft.refresh_from_db()
    assert draft.expiry_notified_at is None and timezone.now() - draft.updated_at < datetime.timedelta(minutes=5)
    assert draft.draft_expires_on == timezone.localdate() + datetime.timedelta(days=30)


def test_submitted_applications_and_other_municipalities_are_untouched(online_juminhyo, city_a, city_b):  # noqa: F811
    client = Client()
    client.force_login(make_user())
    submitted, _ = _submitted(client)
    draft = _draft_of(client)
    _age(submitted, 400)
    _age(draft, 400)
    with municipality_scope(city_b):
        assert journey.drafts_expire(municipality=city_b).deleted == 0
    with scopes_disabled():
        assert Submission.objects.filter(pk=draft.pk).exists()
    with municipality_scope(city_a):
        assert journey.drafts_expire(municipality=city_a).deleted == 1
    with scopes_disabled():
        assert Submission.objects.filter(pk=submitted.pk).exists()
        assert not Submission.objects.filter(pk=draft.pk).exists()


def test_anonymous_drafts_expire_without_a_notice(online_juminhyo, city_a):  # noqa: F811
    from madoguchi.procedures.models import IdentityLevel, Procedure

    with scopes_disabled():
        Procedure.objects.filter(pk=online_juminhyo.pk).update(identity_level=IdentityLevel.NONE)
    draft = _draft_of(Client())
    assert draft.applicant_id is None
    _age(draft, 29)
    with municipality_scope(city_a):
        assert journey.drafts_expire(municipality=city_a) == journey.DraftExpiry(noticed=0, deleted=0)
    _age(draft, 31)
    with municipality_scope(city_a):
        assert journey.drafts_expire(municipality=city_a).deleted == 1


def test_daily_maintenance_queues_the_expiry_for_every_municipality(online_juminhyo, city_a, settings):  # noqa: F811
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = Client()
    client.force_login(make_user())
    draft = _draft_of(client)
    _age(draft, 31)
    daily_maintenance.call()
    with scopes_disabled():
        assert not Submission.objects.filter(pk=draft.pk).exists()


def test_my_applications_say_when_a_draft_is_deleted(resident_draft):
    client, _resident, draft = resident_draft
    page = client.get("/city-a/procedures/mine/").content.decode()
    expires = draft.draft_expires_on
    assert f"令和{expires.year - 2018}年{expires.month}月{expires.day}日" in page and "削除されます" in page
