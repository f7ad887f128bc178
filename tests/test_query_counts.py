"""List pages and APIs run a fixed number of queries however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.services import audit_record
from madoguchi.core.tenancy import municipality_scope
from madoguchi.notices.services import notice_create

from .factories import make_department, make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _add_rows(municipality, count: int) -> None:
    for _ in range(count):
        department = make_department(municipality)
        make_staff(municipality, Role.DEPARTMENT_STAFF, department=department)
        make_user(home_municipality=municipality, family_name="山田", family_name_kana="ヤマダ")
        audit_record(action="test.row", municipality=municipality)
        with municipality_scope(municipality), scopes_disabled():
            notice_create(
                municipality=municipality,
                actor=None,
                data={"title": "お知らせ", "body": "本文", "department": department},
                publish=True,
                request=None,
            )


URLS = [
    "/city-a/staff/users/",
    "/city-a/staff/departments/",
    "/city-a/staff/audit/",
    "/city-a/staff/residents/?q=ヤマダ",
    "/city-a/staff/notices/",
    "/city-a/notices/",
    "/city-a/",
    "/api/v1/municipalities/city-a/notices",
    "/api/v1/municipalities/city-a/departments",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_rows(city_a, url):
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    client = staff_client(admin)
    _add_rows(city_a, 2)
    _queries(client, url)  # warm per-process caches (content types, sessions)
    few = _queries(client, url)
    _add_rows(city_a, 12)
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries with few rows, {many} with many"
