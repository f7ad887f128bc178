"""The role matrix: every role × every staff screen (and the notices API create) does exactly what
accounts.permissions.ROLE_PERMISSIONS grants — no more, no less.

The screen → permission mapping below is written independently of the views, so a view guarded by the wrong
permission fails here. Outcomes: allowed → 200 (GET) or 302 with the change made (POST); staff lacking the
permission → the 403 page and nothing changed; non-staff and residents → 404; anonymous → the login page;
a session without the second factor → the MFA page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role, StaffMembership, User
from madoguchi.accounts.permissions import ALL_PERMISSIONS, ROLE_PERMISSIONS, Perm
from madoguchi.core import services as core_services
from madoguchi.core.models import ApiToken, Department, Municipality
from madoguchi.core.selectors import module_settings
from madoguchi.core.tenancy import municipality_scope
from madoguchi.notices import services as notice_services
from madoguchi.notices.models import Notice
from madoguchi.opendata import services as opendata_services
from madoguchi.opendata.models import Dataset
from madoguchi.procedures.models import Procedure

from .factories import enable_module, make_department, make_platform_admin, make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db

ROLES = [Role.MUNICIPALITY_ADMIN, Role.DEPARTMENT_STAFF, Role.COUNTER_STAFF, Role.AUDITOR]
FORBIDDEN_TEXT = "この操作の権限がありません"


# --- Objects the screens act on, in one municipality ----------------------------------------------------


@dataclass
class Site:
    municipality: Municipality
    department: Department
    target: StaffMembership  # a colleague whose role the user screens edit
    resident: User
    notice: Notice
    procedure: Procedure
    token: ApiToken
    dataset: Dataset

    @property
    def slug(self) -> str:
        return self.municipality.slug


def _site(municipality: Municipality) -> Site:
    department = make_department(municipality, slug="somu", name="総務課")
    target_user = make_staff(municipality, Role.COUNTER_STAFF, email=f"target-{municipality.slug}@example.jp")
    with scopes_disabled():
        target = StaffMembership.objects.get(user=target_user)
    resident = make_user(
        f"resident-{municipality.slug}@example.jp",
        family_name="住民",
        given_name="花子",
        family_name_kana="ジュウミン",
        given_name_kana="ハナコ",
        home_municipality=municipality,
    )
    author = make_platform_admin()
    with municipality_scope(municipality):
        notice = notice_services.notice_create(
            municipality=municipality,
            actor=author,
            data={"title": "既存のお知らせ", "body": "本文", "department": department},
            publish=True,
            request=None,
        )
        enable_module(municipality, "procedures")
        enable_module(municipality, "faq")
        enable_module(municipality, "facilities")
        procedure = Procedure.objects.create(
            municipality=municipality,
            slug="site-procedure",
            name="既存の手続",
            name_kana="きそんのてつづき",
            summary="概要",
            category="living",
            department=department,
            applicants=["self"],
        )
        token, _secret = core_services.api_token_create(
            municipality=municipality,
            actor=None,
            name="基幹系",
            scopes=["procedures.manage:read"],
            departments=[],
            expires_at=None,
            request=None,
        )
        enable_module(municipality, "opendata")
        dataset = opendata_services.dataset_save(
            municipality=municipality,
            actor=None,
            data={"name": "site-dataset", "title": "既存のデータセット", "notes": "説明", "department": department},
        )
        Dataset.objects.filter(pk=dataset.pk).update(published_at=timezone.now())
    return Site(municipality, department, target, resident, notice, procedure, token, dataset)


def _staff(site: Site, role: str) -> User:
    """A staff member of the site; department staff work in the site's 課 (which owns the site's notice)."""
    return make_staff(site.municipality, role, department=site.department if role == Role.DEPARTMENT_STAFF else None)


@pytest.fixture
def site(city_a) -> Site:
    return _site(city_a)


@pytest.fixture
def site_b(city_b) -> Site:
    return _site(city_b)


# --- The screens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    name: str
    method: str
    path: str  # with {slug}, {membership}, {department}, {resident}, {notice}
    permission: str
    data: dict[str, str] | None = None
    effect: Callable[[Site], bool] | None = None  # for writes: did the change happen?

    def url(self, site: Site) -> str:
        return self.path.format(
            slug=site.slug,
            membership=site.target.public_id,
            department=site.department.public_id,
            resident=site.resident.public_id,
            notice=site.notice.public_id,
            procedure=site.procedure.public_id,
            token=site.token.public_id,
            dataset=site.dataset.public_id,
        )

    def send(self, client: Client, site: Site):  # type: ignore[no-untyped-def]
        if self.method == "GET":
            return client.get(self.url(site))
        data = {key: value.format(department_pk=site.department.pk) for key, value in (self.data or {}).items()}
        return client.post(self.url(site), data)


def _membership_added(site: Site) -> bool:
    with scopes_disabled():
        return StaffMembership.objects.filter(municipality=site.municipality, user__email="added@example.jp").exists()


def _membership_ended(site: Site) -> bool:
    with scopes_disabled():
        return not StaffMembership.objects.get(pk=site.target.pk).is_active


def _department_added(site: Site) -> bool:
    with scopes_disabled():
        return Department.objects.filter(municipality=site.municipality, slug="shinsetsu").exists()


def _department_renamed(site: Site) -> bool:
    with scopes_disabled():
        return Department.objects.get(pk=site.department.pk).name == "改名課"


def _module_setting_saved(site: Site) -> bool:
    municipality = Municipality.objects.get(pk=site.municipality.pk)
    with municipality_scope(municipality):
        return module_settings(municipality, "notices")["home_count"] == 7


def _settings_saved(site: Site) -> bool:
    return Municipality.objects.get(pk=site.municipality.pk).contact_phone == "0120333444"


def _notice_added(site: Site) -> bool:
    with scopes_disabled():
        return Notice.objects.filter(municipality=site.municipality, title="権限テスト").exists()


def _faq_added(site: Site) -> bool:
    from madoguchi.faq.models import Faq

    with scopes_disabled():
        return Faq.objects.filter(municipality=site.municipality, question="権限テストFAQ").exists()


def _procedure_added(site: Site) -> bool:
    with scopes_disabled():
        return Procedure.objects.filter(municipality=site.municipality, preset_key="juminhyo").exists()


def _procedure_edited(site: Site) -> bool:
    with scopes_disabled():
        return Procedure.objects.get(pk=site.procedure.pk).name == "改名した手続"


def _procedure_published(site: Site) -> bool:
    with scopes_disabled():
        return Procedure.objects.get(pk=site.procedure.pk).is_published


def _notice_edited(site: Site) -> bool:
    with scopes_disabled():
        return Notice.objects.get(pk=site.notice.pk).title == "改題"


# Notices belong to the site's 課: department staff manage their own 課's notices (the site's, in these tests).
NOTICE_FORM = {"body": "本文", "importance": "normal", "publish": "on", "department": "{department_pk}"}

SCREENS = [
    Screen("dashboard", "GET", "/{slug}/staff/", Perm.DASHBOARD),
    Screen("payments", "GET", "/{slug}/staff/payments/", Perm.PAYMENTS_MANAGE),
    Screen("users", "GET", "/{slug}/staff/users/", Perm.USERS_MANAGE),
    Screen("user_add", "GET", "/{slug}/staff/users/add/", Perm.USERS_MANAGE),
    Screen(
        "user_add_post",
        "POST",
        "/{slug}/staff/users/add/",
        Perm.USERS_MANAGE,
        {"email": "added@example.jp", "family_name": "追加", "given_name": "職員", "role": Role.COUNTER_STAFF},
        _membership_added,
    ),
    Screen("user_edit", "GET", "/{slug}/staff/users/{membership}/", Perm.USERS_MANAGE),
    Screen(
        "user_edit_post",
        "POST",
        "/{slug}/staff/users/{membership}/",
        Perm.USERS_MANAGE,
        {"department": ""},
        _membership_ended,
    ),
    Screen("departments", "GET", "/{slug}/staff/departments/", Perm.DEPARTMENTS_MANAGE),
    Screen("department_add", "GET", "/{slug}/staff/departments/add/", Perm.DEPARTMENTS_MANAGE),
    Screen(
        "department_add_post",
        "POST",
        "/{slug}/staff/departments/add/",
        Perm.DEPARTMENTS_MANAGE,
        {"name": "新設課", "slug": "shinsetsu", "is_active": "on"},
        _department_added,
    ),
    Screen("department_edit", "GET", "/{slug}/staff/departments/{department}/", Perm.DEPARTMENTS_MANAGE),
    Screen(
        "department_edit_post",
        "POST",
        "/{slug}/staff/departments/{department}/",
        Perm.DEPARTMENTS_MANAGE,
        {"name": "改名課", "slug": "somu", "is_active": "on"},
        _department_renamed,
    ),
    Screen("modules", "GET", "/{slug}/staff/modules/", Perm.MODULES_MANAGE),
    Screen(
        "modules_post",
        "POST",
        "/{slug}/staff/modules/",
        Perm.MODULES_MANAGE,
        {"notices__enabled": "on", "notices__home_count": "7"},
        _module_setting_saved,
    ),
    Screen("settings", "GET", "/{slug}/staff/settings/", Perm.SETTINGS_MANAGE),
    Screen(
        "settings_post",
        "POST",
        "/{slug}/staff/settings/",
        Perm.SETTINGS_MANAGE,
        {"contact_phone": "0120333444", "audit_retention_days": "400"},
        _settings_saved,
    ),
    Screen("audit", "GET", "/{slug}/staff/audit/", Perm.AUDIT_VIEW),
    Screen("audit_export", "GET", "/{slug}/staff/audit/export.csv", Perm.AUDIT_EXPORT),
    Screen("residents", "GET", "/{slug}/staff/residents/?q=%E8%8A%B1%E5%AD%90", Perm.RESIDENTS_VIEW),
    Screen("resident_detail", "GET", "/{slug}/staff/residents/{resident}/", Perm.RESIDENTS_VIEW),
    Screen("notices", "GET", "/{slug}/staff/notices/", Perm.NOTICES_MANAGE),
    Screen("notice_add", "GET", "/{slug}/staff/notices/add/", Perm.NOTICES_MANAGE),
    Screen(
        "notice_add_post",
        "POST",
        "/{slug}/staff/notices/add/",
        Perm.NOTICES_MANAGE,
        {"title": "権限テスト", **NOTICE_FORM},
        _notice_added,
    ),
    Screen("notice_edit", "GET", "/{slug}/staff/notices/{notice}/", Perm.NOTICES_MANAGE),
    Screen(
        "notice_edit_post",
        "POST",
        "/{slug}/staff/notices/{notice}/",
        Perm.NOTICES_MANAGE,
        {"title": "改題", **NOTICE_FORM},
        _notice_edited,
    ),
]
SCREENS += [
    Screen("procedures", "GET", "/{slug}/staff/procedures/", Perm.PROCEDURES_MANAGE),
    Screen("procedure_presets", "GET", "/{slug}/staff/procedures/presets/", Perm.PROCEDURES_MANAGE),
    Screen(
        "procedure_presets_post",
        "POST",
        "/{slug}/staff/procedures/presets/",
        Perm.PROCEDURES_MANAGE,
        {"preset": "juminhyo", "department": "{department_pk}"},
        _procedure_added,
    ),
    Screen("procedure_edit", "GET", "/{slug}/staff/procedures/{procedure}/", Perm.PROCEDURES_MANAGE),
    Screen(
        "procedure_edit_post",
        "POST",
        "/{slug}/staff/procedures/{procedure}/",
        Perm.PROCEDURES_MANAGE,
        {
            "name": "改名した手続",
            "name_kana": "かいめいしたてつづき",
            "summary": "概要",
            "category": "certificates",
            "department": "{department_pk}",
            "applicants": "self",
            "identity_level": "account",
            "channel": "both",
            "processing_days": "3",
        },
        _procedure_edited,
    ),
    Screen(
        "procedure_publish",
        "POST",
        "/{slug}/staff/procedures/{procedure}/publish/",
        Perm.PROCEDURES_MANAGE,
        {"publish": "1"},
        _procedure_published,
    ),
]


def _token_revoked(site: Site) -> bool:
    with scopes_disabled():
        return ApiToken.objects.get(pk=site.token.pk).revoked_at is not None


def _export_columns_set(site: Site) -> bool:
    with scopes_disabled():
        return Procedure.objects.get(pk=site.procedure.pk).export_columns == ["receipt_number"]


SCREENS += [
    Screen("api_tokens", "GET", "/{slug}/staff/api-tokens/", Perm.API_TOKENS_MANAGE),
    Screen("api_token_add", "GET", "/{slug}/staff/api-tokens/add/", Perm.API_TOKENS_MANAGE),
    Screen(
        "api_token_revoke",
        "POST",
        "/{slug}/staff/api-tokens/{token}/revoke/",
        Perm.API_TOKENS_MANAGE,
        {},
        _token_revoked,
    ),
    Screen("export_columns", "GET", "/{slug}/staff/procedures/{procedure}/export-columns/", Perm.PROCEDURES_MANAGE),
    Screen(
        "export_columns_post",
        "POST",
        "/{slug}/staff/procedures/{procedure}/export-columns/",
        Perm.PROCEDURES_MANAGE,
        {"col_0": "1"},
        _export_columns_set,
    ),
]
SCREENS += [
    Screen("faq", "GET", "/{slug}/staff/faq/", Perm.FAQ_MANAGE),
    Screen("faq_misses", "GET", "/{slug}/staff/faq/misses/", Perm.FAQ_MANAGE),
    Screen(
        "faq_add_post",
        "POST",
        "/{slug}/staff/faq/add/",
        Perm.FAQ_MANAGE,
        {"question": "権限テストFAQ", "answer": "回答", "department": "{department_pk}", "is_published": "on"},
        _faq_added,
    ),
]


def _reduction_added(site: Site) -> bool:
    from madoguchi.facilities.models import Reduction

    with scopes_disabled():
        return Reduction.objects.filter(municipality=site.municipality, name="権限テスト減免").exists()


SCREENS += [
    Screen("facilities", "GET", "/{slug}/staff/facilities/", Perm.FACILITIES_COUNTER),
    Screen("facility_registrations", "GET", "/{slug}/staff/facilities/registrations/", Perm.FACILITIES_MANAGE),
    Screen(
        "facility_reduction_add",
        "POST",
        "/{slug}/staff/facilities/reductions/new/",
        Perm.FACILITIES_MANAGE,
        {"name": "権限テスト減免", "name_en": "", "percent": "50", "requires_approval": "on", "is_active": "on"},
        _reduction_added,
    ),
]


def _dataset_created(site: Site) -> bool:
    with scopes_disabled():
        return Dataset.objects.filter(municipality=site.municipality, name="perm-dataset").exists()


def _dataset_unpublished(site: Site) -> bool:
    with scopes_disabled():
        return Dataset.objects.filter(pk=site.dataset.pk, published_at__isnull=True).exists()


SCREENS += [
    Screen("opendata", "GET", "/{slug}/staff/opendata/", Perm.OPENDATA_MANAGE),
    Screen("opendata_create", "GET", "/{slug}/staff/opendata/new/", Perm.OPENDATA_MANAGE),
    Screen(
        "opendata_create_post",
        "POST",
        "/{slug}/staff/opendata/new/",
        Perm.OPENDATA_MANAGE,
        {
            "name": "perm-dataset",
            "title": "権限テスト",
            "notes": "説明",
            "department": "{department_pk}",
            "license_id": "cc-by-4.0",
            "frequency": "yearly",
        },
        _dataset_created,
    ),
    Screen("opendata_detail", "GET", "/{slug}/staff/opendata/{dataset}/", Perm.OPENDATA_MANAGE),
    Screen(
        "opendata_unpublish",
        "POST",
        "/{slug}/staff/opendata/{dataset}/unpublish/",
        Perm.OPENDATA_MANAGE,
        {},
        _dataset_unpublished,
    ),
]
SCREEN_IDS = [s.name for s in SCREENS]


def _assert_allowed(screen: Screen, site: Site, response) -> None:  # type: ignore[no-untyped-def]
    if screen.method == "GET":
        assert response.status_code == 200, f"{screen.name}: {response.status_code}"
        if screen.name == "audit_export":
            assert response["Content-Type"].startswith("text/csv")
    else:
        assert response.status_code == 302, f"{screen.name}: {response.status_code}"
        assert response["Location"].startswith(f"/{site.slug}/staff/")
        assert screen.effect is not None and screen.effect(site), f"{screen.name}: allowed but nothing changed"


def _assert_nothing_changed(screen: Screen, site: Site) -> None:
    if screen.effect is not None:
        assert not screen.effect(site), f"{screen.name}: refused but the change was made"


# --- The matrix itself ---------------------------------------------------------------------------------


def test_every_role_has_an_entry_in_the_matrix():
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    for granted in ROLE_PERMISSIONS.values():
        assert granted <= ALL_PERMISSIONS


def test_every_permission_is_exercised_by_a_screen_here():
    """A new permission without a screen in this file fails here, so the matrix test keeps covering everything."""
    assert {s.permission for s in SCREENS} == set(ALL_PERMISSIONS)


def test_default_is_deny_for_an_unknown_role(site):
    user = make_user()
    with scopes_disabled():
        StaffMembership.objects.create(municipality=site.municipality, user=user, role="janitor")
    client = staff_client(user)
    # No permission at all: the back office does not exist for this person.
    assert client.get(f"/{site.slug}/staff/").status_code == 404


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_role_can_do_exactly_its_actions(role, screen, site):
    client = staff_client(_staff(site, role))
    response = screen.send(client, site)
    if screen.permission in ROLE_PERMISSIONS[role]:
        _assert_allowed(screen, site, response)
    else:
        assert response.status_code == 403, f"{role} on {screen.name}: {response.status_code}"
        assert FORBIDDEN_TEXT in response.content.decode()
        _assert_nothing_changed(screen, site)


@pytest.mark.parametrize("role", ROLES)
def test_staff_navigation_offers_exactly_the_permitted_screens(role, site):
    client = staff_client(_staff(site, role))
    body = client.get(f"/{site.slug}/staff/").content.decode()
    granted = ROLE_PERMISSIONS[role]
    links = {
        f"/{site.slug}/staff/users/": Perm.USERS_MANAGE,
        f"/{site.slug}/staff/departments/": Perm.DEPARTMENTS_MANAGE,
        f"/{site.slug}/staff/modules/": Perm.MODULES_MANAGE,
        f"/{site.slug}/staff/settings/": Perm.SETTINGS_MANAGE,
        f"/{site.slug}/staff/audit/": Perm.AUDIT_VIEW,
        f"/{site.slug}/staff/residents/": Perm.RESIDENTS_VIEW,
        f"/{site.slug}/staff/notices/": Perm.NOTICES_MANAGE,
        f"/{site.slug}/staff/payments/": Perm.PAYMENTS_MANAGE,
        f"/{site.slug}/staff/api-tokens/": Perm.API_TOKENS_MANAGE,
    }
    for href, permission in links.items():
        assert (f'href="{href}"' in body) == (permission in granted), f"{role}: link {href}"


def test_several_roles_add_up(site):
    user = make_staff(site.municipality, Role.COUNTER_STAFF)
    with scopes_disabled():
        StaffMembership.objects.create(municipality=site.municipality, user=user, role=Role.AUDITOR)
    client = staff_client(user)
    assert client.get(f"/{site.slug}/staff/residents/").status_code == 200
    assert client.get(f"/{site.slug}/staff/audit/").status_code == 200
    assert client.get(f"/{site.slug}/staff/users/").status_code == 403


# --- Platform admins -------------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
@pytest.mark.parametrize("which", ["a", "b"])
def test_platform_admin_can_do_everything_everywhere(which, screen, site, site_b):
    target = site if which == "a" else site_b
    client = staff_client(make_platform_admin())
    _assert_allowed(screen, target, screen.send(client, target))


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
def test_platform_admin_without_mfa_is_sent_to_mfa(screen, site):
    client = Client()
    client.force_login(make_platform_admin())
    response = screen.send(client, site)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/mfa/verify/?next={quote(screen.url(site))}"
    _assert_nothing_changed(screen, site)


# --- Everyone else ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
def test_anonymous_is_sent_to_login(screen, site):
    response = screen.send(Client(), site)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(screen.url(site))}"
    _assert_nothing_changed(screen, site)


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
@pytest.mark.parametrize("mfa", [True, False], ids=["mfa", "no-mfa"])
def test_resident_gets_404(mfa, screen, site):
    resident = make_user(home_municipality=site.municipality)
    if mfa:
        client = staff_client(resident)
    else:
        client = Client()
        client.force_login(resident)
    response = screen.send(client, site)
    assert response.status_code == 404
    _assert_nothing_changed(screen, site)


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_staff_without_second_factor_is_sent_to_mfa(role, screen, site):
    client = Client()
    client.force_login(make_staff(site.municipality, role))
    response = screen.send(client, site)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/mfa/verify/?next={quote(screen.url(site))}"
    _assert_nothing_changed(screen, site)


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
@pytest.mark.parametrize("role", ROLES)
def test_deactivated_membership_grants_nothing(role, screen, site):
    user = make_staff(site.municipality, role)
    with scopes_disabled():
        StaffMembership.objects.filter(user=user).update(is_active=False)
    response = screen.send(staff_client(user), site)
    assert response.status_code == 404
    _assert_nothing_changed(screen, site)


def test_deactivated_role_does_not_leak_into_an_active_one(site):
    """An ended admin role next to an active counter role leaves only the counter role's permissions."""
    user = make_staff(site.municipality, Role.COUNTER_STAFF)
    with scopes_disabled():
        StaffMembership.objects.create(
            municipality=site.municipality, user=user, role=Role.MUNICIPALITY_ADMIN, is_active=False
        )
    client = staff_client(user)
    assert client.get(f"/{site.slug}/staff/residents/").status_code == 200
    assert client.get(f"/{site.slug}/staff/users/").status_code == 403
    assert client.get(f"/{site.slug}/staff/modules/").status_code == 403


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
def test_deactivated_account_grants_nothing(screen, site):
    user = make_staff(site.municipality, Role.MUNICIPALITY_ADMIN)
    client = staff_client(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = screen.send(client, site)
    # The session no longer authenticates anyone: treated as anonymous.
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(screen.url(site))}"
    _assert_nothing_changed(screen, site)


@pytest.mark.parametrize("screen", SCREENS, ids=SCREEN_IDS)
def test_admin_of_another_municipality_gets_404(screen, site, site_b):
    client = staff_client(make_staff(site_b.municipality, Role.MUNICIPALITY_ADMIN))
    response = screen.send(client, site)
    assert response.status_code == 404
    _assert_nothing_changed(screen, site)


# --- The notices API create ------------------------------------------------------------------------------


def _api_create(client: Client, site: Site, title: str = "API権限テスト"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/municipalities/{site.slug}/notices",
        data=json.dumps({"title": title, "body": "本文", "department": site.department.slug}),
        content_type="application/json",
    )


def _api_created(site: Site, title: str = "API権限テスト") -> bool:
    with scopes_disabled():
        return Notice.objects.filter(municipality=site.municipality, title=title).exists()


def _assert_api_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("role", ROLES)
def test_api_notice_create_follows_the_matrix(role, site):
    response = _api_create(staff_client(_staff(site, role)), site)
    if Perm.NOTICES_MANAGE in ROLE_PERMISSIONS[role]:
        assert response.status_code == 201
        assert response.json()["title"] == "API権限テスト"
        assert _api_created(site)
    else:
        _assert_api_error(response, 403, "forbidden")
        assert not _api_created(site)


@pytest.mark.parametrize("which", ["a", "b"])
def test_api_notice_create_by_platform_admin(which, site, site_b):
    target = site if which == "a" else site_b
    response = _api_create(staff_client(make_platform_admin()), target)
    assert response.status_code == 201
    assert _api_created(target)


def test_api_notice_create_anonymous_is_401(site):
    _assert_api_error(_api_create(Client(), site), 401, "unauthenticated")
    assert not _api_created(site)


@pytest.mark.parametrize("role", [*ROLES, "platform_admin"])
def test_api_notice_create_without_second_factor_is_401(role, site):
    user = make_platform_admin() if role == "platform_admin" else make_staff(site.municipality, role)
    client = Client()
    client.force_login(user)
    _assert_api_error(_api_create(client, site), 401, "unauthenticated")
    assert not _api_created(site)


def test_api_notice_create_by_resident_is_refused(site):
    _assert_api_error(_api_create(staff_client(make_user(home_municipality=site.municipality)), site), 403, "forbidden")
    assert not _api_created(site)


def test_api_notice_create_with_deactivated_membership_is_refused(site):
    user = make_staff(site.municipality, Role.DEPARTMENT_STAFF)
    with scopes_disabled():
        StaffMembership.objects.filter(user=user).update(is_active=False)
    _assert_api_error(_api_create(staff_client(user), site), 403, "forbidden")
    assert not _api_created(site)


def test_api_notice_create_by_staff_of_another_municipality_is_refused(site, site_b):
    client = staff_client(make_staff(site_b.municipality, Role.MUNICIPALITY_ADMIN))
    _assert_api_error(_api_create(client, site), 403, "forbidden")
    assert not _api_created(site)


# --- Django admin ----------------------------------------------------------------------------------------


ADMIN_PAGES = ["/admin/", "/admin/accounts/user/", "/admin/accounts/staffmembership/"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_django_admin_for_platform_admin_with_mfa(path, site):
    response = staff_client(make_platform_admin()).get(path)
    assert response.status_code == 200


def _refused_by_admin(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    # Never the admin itself: the chain ends at our sign-in (or second-factor) page.
    final = client.get(path, follow=True)
    assert final.status_code == 200
    landing = final.redirect_chain[-1][0]
    assert landing.startswith(("/accounts/login/", "/accounts/mfa/verify/")), landing
    assert "Madoguchi platform admin" not in final.content.decode()


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_django_admin_refuses_platform_admin_without_mfa(path, site):
    client = Client()
    client.force_login(make_platform_admin())
    _refused_by_admin(client, path)


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("django_staff_flag", [False, True], ids=["plain", "is_staff"])
def test_django_admin_refuses_municipality_admin(path, django_staff_flag, site):
    user = make_staff(site.municipality, Role.MUNICIPALITY_ADMIN)
    if django_staff_flag:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    _refused_by_admin(staff_client(user), path)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_django_admin_refuses_residents_and_anonymous(path, site):
    _refused_by_admin(staff_client(make_user()), path)
    _refused_by_admin(Client(), path)


def test_municipality_admin_cannot_change_users_through_django_admin(site):
    user = make_staff(site.municipality, Role.MUNICIPALITY_ADMIN)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    victim = make_user("victim@example.jp")
    response = staff_client(user).post(
        f"/admin/accounts/user/{victim.pk}/change/",
        {"email": "victim@example.jp", "is_active": "on", "is_superuser": "on", "preferred_language": "ja"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    victim.refresh_from_db()
    assert victim.is_superuser is False
    user.refresh_from_db()
    assert user.is_superuser is False
