"""API tokens for other systems: created by a municipality admin (secret shown once, only a digest kept),
revoked, expiring, last use recorded at most once a minute, every step audited."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core import services as core_services
from madoguchi.core.apitokens import api_token_authenticate
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import ApiToken
from madoguchi.core.tenancy import municipality_scope

from .factories import enable_module, make_department, make_municipality, make_staff, staff_client

pytestmark = pytest.mark.django_db

FORM = {"name": "住民記録システム", "scope__procedures_manage": "read"}


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _create(municipality, **overrides):
    arguments = {
        "municipality": municipality,
        "actor": None,
        "name": "基幹系",
        "scopes": ["procedures.manage:read"],
        "departments": [],
        "expires_at": None,
        "request": None,
    }
    arguments.update(overrides)
    with municipality_scope(municipality):
        return core_services.api_token_create(**arguments)


@pytest.fixture
def admin(city_a):
    enable_module(city_a, "procedures")
    return make_staff(city_a, Role.MUNICIPALITY_ADMIN)


def test_admin_creates_a_token_shown_once_and_stored_as_a_digest(city_a, admin):
    client = staff_client(admin)
    department = make_department(city_a, slug="shimin", name="市民課")
    form = client.get("/city-a/staff/api-tokens/add/")
    assert form.status_code == 200 and "読み取りのみ" in form.content.decode()
    response = client.post(
        "/city-a/staff/api-tokens/add/", {**FORM, "departments": [department.pk], "expires_on": "2099-03-31"}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    secret = response.context["secret"]
    assert secret.startswith("mdg_") and len(secret) > 40 and secret in page
    with scopes_disabled():
        token = ApiToken.objects.get()
        assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
        assert list(token.departments.all()) == [department]
    assert token.prefix == secret[:12] and token.scopes == ["procedures.manage:read"]
    # Valid through the whole last day, Japan time.
    assert timezone.localtime(token.expires_at) == timezone.make_aware(datetime.datetime(2099, 4, 1))
    # The secret is nowhere in the database (only the digest) and never shown again.
    with scopes_disabled():
        stored = " ".join(str(value) for value in ApiToken.objects.values_list().get() if value is not None)
    assert secret not in stored and secret[12:] not in stored
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == admin and secret not in str(event.details) and event.details["prefix"] == token.prefix
    listing = client.get("/city-a/staff/api-tokens/").content.decode()
    assert token.prefix in listing and secret not in listing and "住民記録システム" in listing and "市民課" in listing


def test_the_form_explains_mistakes_and_keeps_what_was_typed(city_a, admin):
    client = staff_client(admin)
    empty = client.post("/city-a/staff/api-tokens/add/", {"name": "連携", "expires_on": "2020-01-01"})
    assert empty.status_code == 400
    body = empty.content.decode()
    assert "権限を1つ以上選んでください" in body and "今日以降の日付" in body and 'value="連携"' in body
    bad_date = client.post("/city-a/staff/api-tokens/add/", {**FORM, "expires_on": "2026-02-30"})
    assert bad_date.status_code == 400 and "2月に30日はありません" in bad_date.content.decode()
    control = client.post("/city-a/staff/api-tokens/add/", {**FORM, "name": "a\x00b"})
    assert control.status_code == 400
    hostile_scope = client.post("/city-a/staff/api-tokens/add/", {**FORM, "scope__procedures_manage": "admin"})
    assert hostile_scope.status_code == 400
    other_city_department = make_department(make_municipality(slug="city-z"), slug="x")
    foreign = client.post("/city-a/staff/api-tokens/add/", {**FORM, "departments": [other_city_department.pk]})
    assert foreign.status_code == 400 and "課を選び直してください" in foreign.content.decode()
    assert client.post("/city-a/staff/api-tokens/add/", FORM).status_code == 200
    duplicate = client.post("/city-a/staff/api-tokens/add/", FORM)
    assert duplicate.status_code == 400 and "同じ名前の有効なトークン" in duplicate.content.decode()
    with scopes_disabled():
        assert ApiToken.objects.count() == 1


def test_only_municipality_admins_manage_tokens(city_a, city_b, admin):
    token, _secret = _create(city_a)
    staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF))
    assert staff.get("/city-a/staff/api-tokens/").status_code == 403
    assert staff.post(f"/city-a/staff/api-tokens/{token.public_id}/revoke/").status_code == 403
    other_admin = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert other_admin.post(f"/city-b/staff/api-tokens/{token.public_id}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoked_token_is_401_and_revoking_twice_records_once(city_a, admin):
    token, secret = _create(city_a)
    assert _bearer(secret).get("/api/v1/municipalities/city-a/applications").status_code == 200
    client = staff_client(admin)
    for _ in range(2):
        response = client.post(f"/city-a/staff/api-tokens/{token.public_id}/revoke/")
        assert response.status_code == 302
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.public_id)).count() == 1
    refused = _bearer(secret).get("/api/v1/municipalities/city-a/applications")
    assert refused.status_code == 401
    assert refused.json() == {
        "error": {"code": "token_revoked", "message": "このAPIトークンは失効しています。", "fields": {}}
    }
    # A revoked name can be used again for a new token.
    _create(city_a)


def test_expired_token_is_401(city_a, admin):
    token, secret = _create(city_a, expires_at=timezone.now() + datetime.timedelta(days=1))
    with scopes_disabled():
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=3), expires_at=timezone.now()
        )
    response = _bearer(secret).get("/api/v1/municipalities/city-a/applications", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
    assert "expired" in response.json()["error"]["message"]


def test_expiry_in_the_past_is_refused_by_the_service_and_the_database(city_a):
    with pytest.raises(ServiceError) as refused:
        _create(city_a, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert refused.value.field == "expires_at"
    token, _secret = _create(city_a)
    from django.db import IntegrityError, transaction

    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at - datetime.timedelta(days=1))
    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(digest="not-a-digest")


@pytest.mark.parametrize(
    "header",
    ["Bearer wrong", "Bearer mdg_" + "x" * 43, "Bearer mdg_\u3042", "Bearer " + "mdg_" + "a" * 500, "Bearer "],
)
def test_unknown_or_malformed_tokens_are_401_in_the_error_shape(city_a, admin, header):
    _create(city_a)
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/municipalities/city-a/applications")
    assert response.status_code == 401 and set(response.json()["error"]) == {"code", "message", "fields"}


def test_a_bad_token_never_falls_back_to_the_session(city_a, admin):
    client = staff_client(admin)
    assert client.get("/api/v1/municipalities/city-a/applications").status_code == 200
    response = client.get("/api/v1/municipalities/city-a/applications", HTTP_AUTHORIZATION="Bearer mdg_nope")
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"


def test_last_used_is_written_at_most_once_a_minute(city_a, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token, secret = _create(city_a)
    assert token.last_used_at is None
    now = timezone.now()
    api_token_authenticate(secret, now=now)
    token.refresh_from_db()
    assert token.last_used_at == now
    with CaptureQueriesContext(connection) as queries:
        api_token_authenticate(secret, now=now + datetime.timedelta(seconds=59))
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == now
    later = now + datetime.timedelta(seconds=61)
    api_token_authenticate(secret, now=later)
    token.refresh_from_db()
    assert token.last_used_at == later
    page = staff_client(admin).get("/city-a/staff/api-tokens/").content.decode()
    assert "未使用" not in page


def test_each_use_is_audited_with_the_token_as_actor(city_a, admin):
    _token, secret = _create(city_a, name="文書管理")
    _bearer(secret).get("/api/v1/municipalities/city-a/applications")
    event = AuditEvent.objects.get(action="personal_data.search")
    assert event.actor is None and event.actor_label == "api-token:文書管理" and event.municipality == city_a


def test_a_token_for_an_inactive_municipality_stops_working(city_a, admin):
    _token, secret = _create(city_a)
    city_a.is_active = False
    city_a.save()
    assert _bearer(secret).get("/api/v1/municipalities/city-a/applications").status_code == 401
