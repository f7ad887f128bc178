"""The notices module (お知らせ): publishing, drafts, department ownership, bad input and both languages."""

import pytest
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.tenancy import municipality_scope
from madoguchi.notices import services
from madoguchi.notices.models import Notice

from .factories import make_department, make_staff, staff_client

pytestmark = pytest.mark.django_db


def _notice(municipality, department=None, *, publish=True, title="お知らせ"):
    with municipality_scope(municipality):
        return services.notice_create(
            municipality=municipality,
            actor=None,
            data={"title": title, "body": "本文", "department": department},
            publish=publish,
            request=None,
        )


def test_drafts_stay_hidden_until_published(client, city_a):
    draft = _notice(city_a, publish=False, title="下書き")
    assert client.get(f"/city-a/notices/{draft.public_id}/").status_code == 404
    assert "下書き" not in client.get("/city-a/notices/").content.decode()
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    response = staff_client(admin).post(
        f"/city-a/staff/notices/{draft.public_id}/",
        {"title": "下書き", "body": "本文", "importance": "normal", "publish": "on"},
    )
    assert response.status_code == 302
    assert client.get(f"/city-a/notices/{draft.public_id}/").status_code == 200
    event = AuditEvent.objects.get(action="notice.updated", object_id=str(draft.public_id))
    assert "published_at" in event.details["fields"] and event.actor == admin


def test_department_staff_manage_only_their_own_departments_notices(city_a):
    shimin = make_department(city_a, slug="shimin", name="市民課")
    zeimu = make_department(city_a, slug="zeimu", name="税務課")
    own = _notice(city_a, shimin, title="市民課のお知らせ")
    other = _notice(city_a, zeimu, title="税務課のお知らせ")
    unassigned = _notice(city_a, None, title="全体のお知らせ")
    staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=shimin))
    listing = staff.get("/city-a/staff/notices/").content.decode()
    assert "市民課のお知らせ" in listing and "税務課のお知らせ" not in listing and "全体のお知らせ" not in listing
    assert staff.get(f"/city-a/staff/notices/{own.public_id}/").status_code == 200
    assert staff.get(f"/city-a/staff/notices/{other.public_id}/").status_code == 404
    assert staff.get(f"/city-a/staff/notices/{unassigned.public_id}/").status_code == 404
    form = staff.get("/city-a/staff/notices/add/").content.decode()
    assert "市民課" in form and "税務課" not in form
    refused = staff.post(
        "/city-a/staff/notices/add/", {"title": "越権", "body": "本文", "importance": "normal", "department": zeimu.pk}
    )
    assert refused.status_code == 200 and "課を選び直してください" in refused.content.decode()
    missing = staff.post("/city-a/staff/notices/add/", {"title": "課なし", "body": "本文", "importance": "normal"})
    assert "担当している課を選んでください" in missing.content.decode()
    with scopes_disabled():
        assert not Notice.objects.filter(title__in=["越権", "課なし"]).exists()


def test_municipality_admin_manages_every_notice(city_a):
    zeimu = make_department(city_a, slug="zeimu", name="税務課")
    other = _notice(city_a, zeimu, title="税務課のお知らせ")
    admin = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    assert "税務課のお知らせ" in admin.get("/city-a/staff/notices/").content.decode()
    assert admin.get(f"/city-a/staff/notices/{other.public_id}/").status_code == 200
    created = admin.post(
        "/city-a/staff/notices/add/", {"title": "全体", "body": "本文", "importance": "emergency", "publish": "on"}
    )
    assert created.status_code == 302


def test_service_refuses_a_department_outside_the_actors_scope(city_a):
    shimin = make_department(city_a, slug="shimin", name="市民課")
    zeimu = make_department(city_a, slug="zeimu", name="税務課")
    staff = make_staff(city_a, Role.DEPARTMENT_STAFF, department=shimin)
    with municipality_scope(city_a), pytest.raises(ServiceError) as excinfo:
        services.notice_create(
            municipality=city_a,
            actor=staff,
            data={"title": "t", "body": "b", "department": zeimu},
            publish=True,
            request=None,
        )
    assert excinfo.value.field == "department" and excinfo.value.code == "department_not_yours"


def test_bad_input_is_explained_at_the_field_and_kept(city_a):
    admin = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    response = admin.post("/city-a/staff/notices/add/", {"title": "x" * 121, "body": "", "importance": "loud"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "タイトルは120文字以内にしてください" in body
    assert "本文を入力してください" in body
    assert 'value="' + "x" * 121 + '"' in body
    assert 'href="#id_importance_0"' in body  # the radio group's summary link lands on its first option


def test_english_page_uses_the_english_text_when_given(client, city_a):
    with municipality_scope(city_a):
        notice = services.notice_create(
            municipality=city_a,
            actor=None,
            data={"title": "断水", "title_en": "Water outage", "body": "本文", "body_en": "Details"},
            publish=True,
            request=None,
        )
    english = client.get(f"/city-a/notices/{notice.public_id}/?lang=en").content.decode()
    assert "Water outage" in english and "Details" in english
    japanese_only = _notice(city_a, title="日本語のみ")
    assert "日本語のみ" in client.get(f"/city-a/notices/{japanese_only.public_id}/").content.decode()
