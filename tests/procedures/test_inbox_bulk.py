"""Bulk actions in the staff inbox: each application through its own service, refusals reported, scope kept."""

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.models import Submission, SubmissionStatus

from ..factories import make_department, make_staff, make_user
from .test_journey import _submitted, online_juminhyo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _staff_client(user):
    client = Client()
    client.force_login(user)
    session = client.session
    session["madoguchi_mfa_verified"] = True
    session.save()
    return client


@pytest.fixture
def three_applications(online_juminhyo):  # noqa: F811
    made = []
    for _ in range(3):
        client = Client()
        client.force_login(make_user())
        made.append(_submitted(client)[0])
    return made


def _bulk(client, action, items, **extra):
    return client.post(
        "/city-a/staff/procedures/inbox/bulk/",
        {"action": action, "selected": [str(item.public_id) for item in items], **extra},
    )


def test_accept_several_at_once_reports_what_could_not_change(three_applications, city_a):
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    first, second, third = three_applications
    with municipality_scope(city_a):
        submissions.submission_change_status(
            submission=third, actor=admin, to_status="rejected", text="重複", request=None
        )
    client = _staff_client(admin)
    response = _bulk(client, "accept", three_applications, return_query="status=submitted")
    assert response.status_code == 302 and response["Location"].endswith("/inbox/?status=submitted")
    page = client.get(response["Location"]).content.decode()
    assert "2件の申請を変更しました" in page and first.receipt_number in page
    assert f"{third.receipt_number}は変更できませんでした" in page
    with scopes_disabled():
        statuses = dict(Submission.objects.values_list("pk", "status"))
        assert statuses[first.pk] == statuses[second.pk] == SubmissionStatus.ACCEPTED
        assert statuses[third.pk] == SubmissionStatus.REJECTED
        changed = AuditEvent.objects.filter(action="submission.status_changed", actor=admin, details__to="accepted")
        assert changed.count() == 2


def test_assign_me_then_unassign(three_applications, city_a):
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    client = _staff_client(admin)
    assert _bulk(client, "assign_me", three_applications[:2]).status_code == 302
    with scopes_disabled():
        assert Submission.objects.filter(assignee=admin).count() == 2
    assert _bulk(client, "unassign", three_applications[:2]).status_code == 302
    with scopes_disabled():
        assert not Submission.objects.filter(assignee__isnull=False).exists()


def test_another_departments_applications_are_not_touched(three_applications, city_a):
    other_department = make_department(city_a, slug="zeimu", name="税務課")
    outsider = make_staff(city_a, Role.DEPARTMENT_STAFF, department=other_department)
    client = _staff_client(outsider)
    response = _bulk(client, "accept", three_applications)
    assert response.status_code == 302
    assert "3件は見つかりませんでした" in client.get(response["Location"]).content.decode()
    with scopes_disabled():
        assert not Submission.objects.filter(status=SubmissionStatus.ACCEPTED).exists()


def test_another_municipalitys_staff_cannot_use_the_ids(three_applications, city_b):
    from ..factories import enable_module

    enable_module(city_b, "procedures")
    admin_b = make_staff(city_b, Role.MUNICIPALITY_ADMIN)
    client = _staff_client(admin_b)
    response = client.post(
        f"/{city_b.slug}/staff/procedures/inbox/bulk/",
        {"action": "accept", "selected": [str(item.public_id) for item in three_applications]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert not Submission.objects.filter(status=SubmissionStatus.ACCEPTED).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"selected": []}, "まとめて行う操作を選んでください"),
        ({"action": "accept"}, "1件以上選んでください"),
        ({"action": "delete_everything", "selected": ["x"]}, "この操作は選べません"),
        ({"action": "accept", "selected": ["not-a-uuid", "' OR 1=1 --"]}, "一覧を開き直してください"),
    ],
)
def test_bad_bulk_input_is_explained_and_keeps_the_filters(three_applications, city_a, data, message):
    client = _staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    response = client.post("/city-a/staff/procedures/inbox/bulk/", {**data, "return_query": "status=submitted"})
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert 'value="status=submitted"' in page  # the filters survive the error
    with scopes_disabled():
        assert not Submission.objects.filter(status=SubmissionStatus.ACCEPTED).exists()


def test_ticked_applications_stay_ticked_after_an_error(three_applications, city_a):
    client = _staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    chosen = str(three_applications[0].public_id)
    page = client.post("/city-a/staff/procedures/inbox/bulk/", {"selected": [chosen]}).content.decode()
    import re

    ticked = re.findall(r'name="selected" value="([0-9a-f-]+)" id="id_selected_\d+" checked', page)
    assert ticked == [chosen]


def test_more_than_a_hundred_at_once_is_refused(three_applications, city_a):
    import uuid

    client = _staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    response = client.post(
        "/city-a/staff/procedures/inbox/bulk/",
        {"action": "accept", "selected": [str(uuid.uuid4()) for _ in range(101)]},
    )
    assert response.status_code == 400 and "100件まで" in response.content.decode()


def test_bulk_needs_the_permission(three_applications, city_a):
    client = _staff_client(make_staff(city_a, Role.AUDITOR))
    assert _bulk(client, "accept", three_applications).status_code == 403
