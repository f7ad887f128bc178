"""Two municipalities, data in both: A's staff can neither see nor change B's data anywhere.

Every tenant-data screen and API is exercised through HTTP (or through services for the rules they own):
B's ids under A's URLs answer 404 (never 403, never 200), B's rows never appear in A's lists, exports or
searches, B's department is refused in A's forms with a field error, and tenant models raise ScopeError
when queried with no municipality scope.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django_scopes import ScopeError, scopes_disabled

from madoguchi.accounts import services as account_services
from madoguchi.accounts.models import Role, StaffMembership, User
from madoguchi.audit.models import AuditEvent
from madoguchi.audit.services import audit_record
from madoguchi.core import services as core_services
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Department, ModuleActivation, Municipality, MunicipalityHost, MunicipalityOwned
from madoguchi.core.tenancy import municipality_scope
from madoguchi.notices import services as notice_services
from madoguchi.notices.models import Notice

from .factories import make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db

DEPARTMENT_REFUSED = "課を選び直してください。"


# --- Test data: the same shape in both municipalities, every string tagged with the city -----------------


@dataclass
class Tenant:
    municipality: Municipality
    tag: str  # appears in every distinctive string of this municipality's data
    admin: User
    department: Department
    counter: User
    counter_membership: StaffMembership
    resident: User
    resident_phone: str
    notice: Notice
    draft: Notice
    markers: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.municipality.slug


def _build_tenant(municipality: Municipality, tag: str, phone: str) -> Tenant:
    admin = make_staff(municipality, Role.MUNICIPALITY_ADMIN, email=f"{tag}-admin@example.jp")
    with municipality_scope(municipality):
        department = core_services.department_create(
            municipality=municipality,
            actor=admin,
            data={
                "slug": f"{tag}-secret",
                "name": f"{tag}秘密課",
                "name_en": f"{tag} secret division",
                "is_active": True,
            },
            request=None,
        )
        counter = make_staff(municipality, Role.COUNTER_STAFF, email=f"{tag}-counter@example.jp")
        counter_membership = StaffMembership.objects.get(user=counter)
        notice = notice_services.notice_create(
            municipality=municipality,
            actor=admin,
            data={"title": f"{tag}公開のお知らせ", "body": f"{tag}本文", "department": department},
            publish=True,
            request=None,
        )
        draft = notice_services.notice_create(
            municipality=municipality,
            actor=admin,
            data={"title": f"{tag}下書きのお知らせ", "body": f"{tag}下書き本文"},
            publish=False,
            request=None,
        )
    resident = make_user(
        f"{tag}-resident@example.jp",
        family_name=f"{tag}川",
        given_name="花子",
        family_name_kana="オツカワ" if tag == "otsu" else "コウカワ",
        given_name_kana="ハナコ",
        phone=phone,
        home_municipality=municipality,
    )
    audit_record(
        action="personal_data.view",
        actor=admin,
        municipality=municipality,
        object_type="resident",
        object_id=str(resident.public_id),
        details={"fields": ["family_name"]},
    )
    markers = [
        f"{tag}-admin@example.jp",
        f"{tag}-counter@example.jp",
        f"{tag}秘密課",
        f"{tag}公開のお知らせ",
        f"{tag}下書きのお知らせ",
        f"{tag}川",
        f"{tag}-resident@example.jp",
        str(department.public_id),
        str(notice.public_id),
        str(draft.public_id),
        str(resident.public_id),
        str(counter_membership.public_id),
    ]
    return Tenant(
        municipality=municipality,
        tag=tag,
        admin=admin,
        department=department,
        counter=counter,
        counter_membership=counter_membership,
        resident=resident,
        resident_phone=phone,
        notice=notice,
        draft=draft,
        markers=markers,
    )


@pytest.fixture
def a(city_a) -> Tenant:
    return _build_tenant(city_a, "kou", "0762222222")


@pytest.fixture
def b(city_b) -> Tenant:
    return _build_tenant(city_b, "otsu", "0761111111")


@pytest.fixture
def a_admin(a) -> Client:
    return staff_client(a.admin)


@pytest.fixture
def b_admin(b) -> Client:
    return staff_client(b.admin)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    if response.get("Content-Type", "").startswith("application/json"):
        # Compare JSON by its characters, not by its \u escapes.
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def _assert_absent(text: str, tenant: Tenant, requested: str = "") -> None:
    """None of the tenant's strings in the page (ids the request itself carried are echoed in links, so skip them)."""
    leaked = [marker for marker in tenant.markers if marker in text and marker not in requested]
    assert not leaked, f"{tenant.tag}'s data leaked: {leaked}"


# --- B's object ids under A's URLs: 404 --------------------------------------------------------------


# (description, URL with placeholders, how to find the id of the tenant's object)
ID_URLS = [
    ("staff user edit", "/{slug}/staff/users/{membership}/"),
    ("staff department edit", "/{slug}/staff/departments/{department}/"),
    ("staff resident detail", "/{slug}/staff/residents/{resident}/"),
    ("staff notice edit", "/{slug}/staff/notices/{notice}/"),
    ("staff notice edit (draft)", "/{slug}/staff/notices/{draft}/"),
    ("public notice detail", "/{slug}/notices/{notice}/"),
    ("API notice detail", "/api/v1/municipalities/{slug}/notices/{notice}"),
]


def _fill(template: str, slug: str, owner: Tenant) -> str:
    return template.format(
        slug=slug,
        membership=owner.counter_membership.public_id,
        department=owner.department.public_id,
        resident=owner.resident.public_id,
        notice=owner.notice.public_id,
        draft=owner.draft.public_id,
    )


@pytest.mark.parametrize(("description", "template"), ID_URLS, ids=[d for d, _ in ID_URLS])
def test_b_object_ids_under_a_urls_are_404(description, template, a, b, a_admin, b_admin):
    # The id is real: B's own staff reach it under B's URL.
    assert b_admin.get(_fill(template, b.slug, b)).status_code == 200
    # Under A's URL, for A's staff (who hold every permission in A), it does not exist.
    url = _fill(template, a.slug, b)
    response = a_admin.get(url)
    assert response.status_code == 404
    _assert_absent(_body(response), b, requested=url)


@pytest.mark.parametrize(("description", "template"), ID_URLS, ids=[d for d, _ in ID_URLS])
def test_b_object_ids_under_a_urls_are_404_for_platform_admin_too(description, template, a, b):
    """Even a platform admin (all permissions everywhere) only finds B's objects under B's URL."""
    from .factories import make_platform_admin

    client = staff_client(make_platform_admin())
    assert client.get(_fill(template, b.slug, b)).status_code == 200
    assert client.get(_fill(template, a.slug, b)).status_code == 404


def test_b_membership_cannot_be_changed_through_a_url(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/users/{b.counter_membership.public_id}/",
        {"department": ""},  # is_active omitted = end it
    )
    assert response.status_code == 404
    with scopes_disabled():
        b.counter_membership.refresh_from_db()
    assert b.counter_membership.is_active is True


def test_b_department_cannot_be_changed_through_a_url(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/departments/{b.department.public_id}/",
        {"name": "乗っ取り課", "name_en": "", "slug": "hijacked", "phone": "", "email": "", "is_active": "on"},
    )
    assert response.status_code == 404
    with scopes_disabled():
        b.department.refresh_from_db()
        assert b.department.name == "otsu秘密課"
        assert not Department.objects.filter(slug="hijacked").exists()


def test_b_notice_cannot_be_changed_through_a_url(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/notices/{b.notice.public_id}/",
        {"title": "乗っ取り", "body": "乗っ取り", "importance": "normal", "publish": "on"},
    )
    assert response.status_code == 404
    with scopes_disabled():
        b.notice.refresh_from_db()
        assert b.notice.title == "otsu公開のお知らせ"
        assert not Notice.objects.filter(title="乗っ取り").exists()


# --- B's rows never appear in A's lists, exports and searches ---------------------------------------


LIST_URLS = [
    "/{slug}/staff/",
    "/{slug}/staff/users/",
    "/{slug}/staff/users/add/",
    "/{slug}/staff/users/{membership}/",
    "/{slug}/staff/departments/",
    "/{slug}/staff/modules/",
    "/{slug}/staff/settings/",
    "/{slug}/staff/audit/",
    "/{slug}/staff/audit/export.csv",
    "/{slug}/staff/notices/",
    "/{slug}/staff/notices/add/",
    "/{slug}/",
    "/{slug}/notices/",
    "/api/v1/municipalities/{slug}/departments",
    "/api/v1/municipalities/{slug}/notices",
    "/api/v1/municipalities/{slug}/notices?limit=100",
]


@pytest.mark.parametrize("template", LIST_URLS)
def test_a_lists_show_none_of_b_rows(template, a, b, a_admin):
    response = a_admin.get(_fill(template, a.slug, a))
    assert response.status_code == 200
    _assert_absent(_body(response), b)


def test_a_lists_do_show_a_rows(a, b, a_admin):
    """The other half of the proof: the lists above are not simply empty."""
    expectations = {
        f"/{a.slug}/staff/users/": ["kou-admin@example.jp", "kou-counter@example.jp"],
        f"/{a.slug}/staff/departments/": ["kou秘密課"],
        f"/{a.slug}/staff/audit/": ["kou-admin@example.jp", str(a.resident.public_id)],
        f"/{a.slug}/staff/notices/": ["kou公開のお知らせ", "kou下書きのお知らせ"],
        f"/{a.slug}/notices/": ["kou公開のお知らせ"],
        f"/{a.slug}/": ["kou公開のお知らせ"],
        f"/api/v1/municipalities/{a.slug}/departments": ["kou秘密課"],
        f"/api/v1/municipalities/{a.slug}/notices": ["kou公開のお知らせ"],
    }
    for url, wanted in expectations.items():
        body = _body(a_admin.get(url))
        for marker in wanted:
            assert marker in body, f"{marker} missing from {url}"


def test_api_lists_count_only_a_rows(a, b):
    client = Client()
    departments = client.get(f"/api/v1/municipalities/{a.slug}/departments").json()
    assert departments["count"] == 1
    assert [item["id"] for item in departments["items"]] == [str(a.department.public_id)]
    notices = client.get(f"/api/v1/municipalities/{a.slug}/notices").json()
    assert notices["count"] == 1
    assert [item["id"] for item in notices["items"]] == [str(a.notice.public_id)]


def test_audit_export_contains_only_a_events(a, b, a_admin):
    response = a_admin.get(f"/{a.slug}/staff/audit/export.csv")
    assert response.status_code == 200
    text = _body(response)
    rows = list(csv.reader(io.StringIO(text)))
    header, data = rows[0], rows[1:]
    assert data, "A's export is empty: nothing would prove isolation"
    _assert_absent(text, b)
    with scopes_disabled():
        a_event_count = AuditEvent.objects.filter(municipality=a.municipality).count()
    # Every exported event is one of A's (the export itself is recorded before the rows are read).
    assert len(data) == a_event_count
    actor_column = header.index("actor")
    assert {row[actor_column] for row in data} <= {"kou-admin@example.jp", "system"}


@pytest.mark.parametrize(
    ("filters", "a_matches"),
    [
        ({"actor": "otsu"}, 0),
        ({"object_id": "{b_resident}"}, 0),
        ({"object_id": "{b_department}"}, 0),
        ({"action": "notice"}, 2),  # A's own two notice.created events
        ({"action": "department.created"}, 1),
    ],
)
def test_audit_filters_never_reach_b_events(filters, a_matches, a, b, a_admin):
    query = {
        key: value.format(b_resident=b.resident.public_id, b_department=b.department.public_id)
        for key, value in filters.items()
    }
    echoed = " ".join(query.values())  # the filter values are shown back in the form
    page = a_admin.get(f"/{a.slug}/staff/audit/", query)
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.count == a_matches
    _assert_absent(_body(page), b, requested=echoed)
    export = a_admin.get(f"/{a.slug}/staff/audit/export.csv", query)
    assert export.status_code == 200
    _assert_absent(_body(export), b)


@pytest.mark.parametrize(
    "query", ["otsu川", "オツカワ", "otsu-resident@example.jp", "otsu-resident", "0761111111", "1111111"]
)
def test_resident_search_in_a_never_finds_b_residents(query, a, b, a_admin, b_admin):
    # B's staff find their resident with this very query…
    found_in_b = b_admin.get(f"/{b.slug}/staff/residents/", {"q": query})
    assert found_in_b.status_code == 200
    assert found_in_b.context["page_obj"].paginator.count == 1
    # …A's staff do not.
    response = a_admin.get(f"/{a.slug}/staff/residents/", {"q": query})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 0
    _assert_absent(_body(response), b, requested=query)  # the query itself is shown back in the search box


def test_resident_search_in_a_finds_a_residents(a, b, a_admin):
    response = a_admin.get(f"/{a.slug}/staff/residents/", {"q": "花子"})
    assert response.status_code == 200
    assert [p.user.pk for p in response.context["page_obj"]] == [a.resident.pk]


# --- B's department in A's forms: a field error -----------------------------------------------------


def _department_error(response) -> list[str]:
    assert response.status_code in (200, 400), response.status_code
    return list(response.context["form"].errors.get("department", []))


def test_user_add_refuses_b_department(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/users/add/",
        {
            "email": "newcomer@example.jp",
            "family_name": "新",
            "given_name": "人",
            "role": Role.DEPARTMENT_STAFF,
            "department": str(b.department.pk),
        },
    )
    assert _department_error(response) == [DEPARTMENT_REFUSED]
    assert not User.objects.filter(email="newcomer@example.jp").exists()


def test_user_add_refuses_b_department_by_public_id(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/users/add/",
        {
            "email": "newcomer@example.jp",
            "family_name": "新",
            "given_name": "人",
            "role": Role.DEPARTMENT_STAFF,
            "department": str(b.department.public_id),
        },
    )
    assert _department_error(response) == [DEPARTMENT_REFUSED]
    assert not User.objects.filter(email="newcomer@example.jp").exists()


def test_user_edit_refuses_b_department(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/users/{a.counter_membership.public_id}/",
        {"is_active": "on", "department": str(b.department.pk)},
    )
    assert _department_error(response) == [DEPARTMENT_REFUSED]
    with scopes_disabled():
        a.counter_membership.refresh_from_db()
    assert a.counter_membership.department_id is None


def test_notice_add_refuses_b_department(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/notices/add/",
        {
            "title": "新しいお知らせ",
            "body": "本文",
            "importance": "normal",
            "department": str(b.department.pk),
            "publish": "on",
        },
    )
    assert _department_error(response) == [DEPARTMENT_REFUSED]
    with scopes_disabled():
        assert not Notice.objects.filter(title="新しいお知らせ").exists()


def test_notice_edit_refuses_b_department(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/notices/{a.notice.public_id}/",
        {
            "title": "変更後",
            "body": "本文",
            "importance": "normal",
            "department": str(b.department.pk),
            "publish": "on",
        },
    )
    assert _department_error(response) == [DEPARTMENT_REFUSED]
    with scopes_disabled():
        a.notice.refresh_from_db()
    assert a.notice.title == "kou公開のお知らせ"
    assert a.notice.department_id == a.department.pk


def test_user_add_accepts_own_department(a, b, a_admin):
    """The counterpart of the refusals above: the department field really is read and validated."""
    response = a_admin.post(
        f"/{a.slug}/staff/users/add/",
        {
            "email": "newcomer@example.jp",
            "family_name": "新",
            "given_name": "人",
            "role": Role.DEPARTMENT_STAFF,
            "department": str(a.department.pk),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        membership = StaffMembership.objects.get(user__email="newcomer@example.jp")
    assert (membership.municipality_id, membership.department_id) == (a.municipality.pk, a.department.pk)


def test_notice_add_accepts_own_department(a, b, a_admin):
    response = a_admin.post(
        f"/{a.slug}/staff/notices/add/",
        {
            "title": "課つき",
            "body": "本文",
            "importance": "normal",
            "department": str(a.department.pk),
            "publish": "on",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Notice.objects.get(title="課つき").department_id == a.department.pk


@pytest.mark.parametrize(
    "template", ["/{slug}/staff/users/add/", "/{slug}/staff/users/{membership}/", "/{slug}/staff/notices/add/"]
)
def test_department_choices_offer_a_departments_only(template, a, b, a_admin):
    body = _body(a_admin.get(_fill(template, a.slug, a)))
    assert f'<option value="{a.department.pk}"' in body
    assert f'<option value="{b.department.pk}"' not in body
    assert "otsu秘密課" not in body


def test_api_notice_create_refuses_b_department(a, b, a_admin):
    response = a_admin.post(
        f"/api/v1/municipalities/{a.slug}/notices",
        data=json.dumps({"title": "APIのお知らせ", "body": "本文", "department": b.department.slug}),
        content_type="application/json",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "department_invalid"
    assert list(error["fields"]) == ["department"]
    with scopes_disabled():
        assert not Notice.objects.filter(title="APIのお知らせ").exists()


def test_staff_member_add_service_refuses_b_department(a, b):
    with municipality_scope(a.municipality), pytest.raises(ServiceError) as caught:
        account_services.staff_member_add(
            municipality=a.municipality,
            actor=a.admin,
            email="svc@example.jp",
            family_name="姓",
            given_name="名",
            role=Role.DEPARTMENT_STAFF,
            department=b.department,
            request=None,
        )
    assert caught.value.field == "department"
    assert not User.objects.filter(email="svc@example.jp").exists()


def test_notice_services_refuse_b_department(a, b):
    with municipality_scope(a.municipality):
        with pytest.raises(ServiceError) as created:
            notice_services.notice_create(
                municipality=a.municipality,
                actor=a.admin,
                data={"title": "サービス", "body": "本文", "department": b.department},
                publish=True,
                request=None,
            )
        assert created.value.field == "department"
        with pytest.raises(ServiceError) as updated:
            notice_services.notice_update(
                notice=a.notice, actor=a.admin, data={"department": b.department}, publish=True, request=None
            )
        assert updated.value.field == "department"
    with scopes_disabled():
        a.notice.refresh_from_db()
        assert a.notice.department_id == a.department.pk
        assert not Notice.objects.filter(title="サービス").exists()


# --- A's staff in B's back office: 404 everywhere ----------------------------------------------------


STAFF_URLS = [
    "/{slug}/staff/",
    "/{slug}/staff/users/",
    "/{slug}/staff/users/add/",
    "/{slug}/staff/users/{membership}/",
    "/{slug}/staff/departments/",
    "/{slug}/staff/departments/add/",
    "/{slug}/staff/departments/{department}/",
    "/{slug}/staff/modules/",
    "/{slug}/staff/settings/",
    "/{slug}/staff/audit/",
    "/{slug}/staff/audit/export.csv",
    "/{slug}/staff/residents/",
    "/{slug}/staff/residents/?q=otsu",
    "/{slug}/staff/residents/{resident}/",
    "/{slug}/staff/notices/",
    "/{slug}/staff/notices/add/",
    "/{slug}/staff/notices/{notice}/",
]


@pytest.mark.parametrize("template", STAFF_URLS)
def test_a_staff_get_404_in_b_back_office(template, a, b, a_admin):
    url = _fill(template, b.slug, b)
    response = a_admin.get(url)
    assert response.status_code == 404
    _assert_absent(_body(response), b, requested=url)


@pytest.mark.parametrize("role", [Role.MUNICIPALITY_ADMIN, Role.DEPARTMENT_STAFF, Role.COUNTER_STAFF, Role.AUDITOR])
def test_every_a_role_gets_404_in_b_back_office(role, a, b):
    client = staff_client(make_staff(a.municipality, role))
    for template in STAFF_URLS:
        assert client.get(_fill(template, b.slug, b)).status_code == 404, template


def _b_state(b: Tenant) -> dict[str, Any]:
    with scopes_disabled():
        municipality = Municipality.objects.get(pk=b.municipality.pk)
        return {
            "departments": sorted(Department.objects.filter(municipality=municipality).values_list("name", flat=True)),
            "memberships": sorted(
                StaffMembership.objects.filter(municipality=municipality).values_list("user__email", "is_active")
            ),
            "notices": sorted(Notice.objects.filter(municipality=municipality).values_list("title", flat=True)),
            "modules": sorted(
                ModuleActivation.objects.filter(municipality=municipality).values_list("module_key", "enabled")
            ),
            "contact_phone": municipality.contact_phone,
            "address": municipality.address,
        }


B_WRITES = [
    (
        "/{slug}/staff/users/add/",
        {"email": "x@example.jp", "family_name": "x", "given_name": "x", "role": "municipality_admin"},
    ),
    ("/{slug}/staff/users/{membership}/", {"department": ""}),
    ("/{slug}/staff/departments/add/", {"name": "侵入課", "slug": "intruder", "is_active": "on"}),
    ("/{slug}/staff/departments/{department}/", {"name": "侵入課", "slug": "intruder", "is_active": "on"}),
    ("/{slug}/staff/modules/", {"notices__home_count": "5"}),
    ("/{slug}/staff/settings/", {"contact_phone": "0120000000", "address": "侵入", "audit_retention_days": "400"}),
    ("/{slug}/staff/notices/add/", {"title": "侵入", "body": "侵入", "importance": "normal", "publish": "on"}),
    ("/{slug}/staff/notices/{notice}/", {"title": "侵入", "body": "侵入", "importance": "normal", "publish": "on"}),
]


@pytest.mark.parametrize(("template", "data"), B_WRITES, ids=[t for t, _ in B_WRITES])
def test_a_staff_cannot_write_in_b_back_office(template, data, a, b, a_admin):
    before = _b_state(b)
    response = a_admin.post(_fill(template, b.slug, b), data)
    assert response.status_code == 404
    assert _b_state(b) == before


def test_a_staff_cannot_create_notice_in_b_through_api(a, b, a_admin):
    before = _b_state(b)
    response = a_admin.post(
        f"/api/v1/municipalities/{b.slug}/notices",
        data=json.dumps({"title": "侵入", "body": "侵入"}),
        content_type="application/json",
    )
    # The notices of B are public, so refusing with 403 reveals nothing; 404 would do as well.
    assert response.status_code in (403, 404)
    assert set(response.json()) == {"error"}
    assert _b_state(b) == before


def test_a_settings_and_modules_change_only_a(a, b, a_admin, b_admin):
    before = _b_state(b)
    settings_response = a_admin.post(
        f"/{a.slug}/staff/settings/",
        {"contact_phone": "0120111222", "address": "甲市役所", "audit_retention_days": "400"},
    )
    assert settings_response.status_code == 302
    modules_response = a_admin.post(f"/{a.slug}/staff/modules/", {"notices__home_count": "5"})  # notices switched off
    assert modules_response.status_code == 302
    a.municipality.refresh_from_db()
    assert a.municipality.address == "甲市役所"
    assert Client().get(f"/{a.slug}/notices/").status_code == 404
    # B is untouched: same data, notices still published.
    assert _b_state(b) == before
    assert Client().get(f"/{b.slug}/notices/").status_code == 200
    assert Client().get(f"/api/v1/municipalities/{b.slug}/notices").status_code == 200


# --- Scopes: a tenant query with no scope raises ---------------------------------------------------------


def _tenant_models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, MunicipalityOwned)]


def test_tenant_models_are_found():
    names = {m.__name__ for m in _tenant_models()}
    assert {"Department", "ModuleActivation", "StaffMembership", "Notice"} <= names


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda m: m.__name__)
def test_tenant_model_without_scope_raises(model, a, b):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.count()
    with pytest.raises(ScopeError):
        # Naming the municipality explicitly is not a substitute for a scope.
        list(model.objects.filter(municipality=a.municipality))


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda m: m.__name__)
def test_tenant_model_inside_a_scope_never_returns_b_rows(model, a, b):
    with scopes_disabled():
        b_ids = set(model.objects.filter(municipality=b.municipality).values_list("pk", flat=True))
    with municipality_scope(a.municipality):
        seen = set(model.objects.values_list("pk", flat=True))
        asked_for_b = set(model.objects.filter(municipality=b.municipality).values_list("pk", flat=True))
    assert not (seen & b_ids)
    assert asked_for_b == set()


# --- Custom host names serve only their municipality -------------------------------------------------


A_HOST = "madoguchi.city-a.example.jp"


@pytest.fixture
def a_host(a) -> str:
    MunicipalityHost.objects.create(municipality=a.municipality, host=A_HOST)
    return A_HOST


@pytest.mark.parametrize("host", [A_HOST, "MADOGUCHI.City-A.example.jp", f"{A_HOST}:8443"])
def test_custom_host_root_goes_to_its_municipality(host, a, b, a_host):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/{a.slug}/"


def test_custom_host_serves_its_own_municipality(a, b, a_host):
    client = Client(HTTP_HOST=a_host)
    home = client.get(f"/{a.slug}/")
    assert home.status_code == 200
    assert "kou公開のお知らせ" in _body(home)
    assert client.get(f"/{a.slug}/notices/{a.notice.public_id}/").status_code == 200


@pytest.mark.parametrize(
    "template",
    ["/{slug}/", "/{slug}/notices/", "/{slug}/notices/{notice}/", "/{slug}/staff/", "/{slug}/staff/departments/"],
)
def test_custom_host_never_serves_another_municipality(template, a, b, a_host):
    # Even B's own staff, signed in, get nothing of B through A's host name.
    client = staff_client(b.admin)
    client.defaults["HTTP_HOST"] = a_host
    url = _fill(template, b.slug, b)
    response = client.get(url)
    assert response.status_code == 404
    _assert_absent(_body(response), b, requested=url)


@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/municipalities/{slug}",
        "/api/v1/municipalities/{slug}/departments",
        "/api/v1/municipalities/{slug}/notices",
        "/api/v1/municipalities/{slug}/notices/{notice}",
    ],
)
def test_custom_host_api_never_serves_another_municipality(template, a, b, a_host):
    url = _fill(template, b.slug, b)
    response = Client(HTTP_HOST=a_host).get(url)
    assert response.status_code == 404
    _assert_absent(_body(response), b, requested=url)


def test_custom_host_of_a_does_not_change_plain_host(a, b, a_host):
    """The platform host still serves both municipalities."""
    client = Client()
    assert client.get(f"/{a.slug}/").status_code == 200
    assert client.get(f"/{b.slug}/").status_code == 200
    assert client.get("/").status_code == 200
