"""The JSON API: lists with enforced paging, one error shape in two languages, idempotent writes."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.core.models import Department, IdempotencyRecord
from madoguchi.notices.models import Notice

from .factories import make_department, make_staff, staff_client

pytestmark = pytest.mark.django_db


def test_municipality_list_and_detail(client, city_a, city_b):
    listing = client.get("/api/v1/municipalities").json()
    assert listing["count"] == 2
    assert {item["slug"] for item in listing["items"]} == {"city-a", "city-b"}
    detail = client.get("/api/v1/municipalities/city-a").json()
    assert detail["code"] == city_a.code and detail["name"] == "甲市"
    assert "notices" in [module["key"] for module in detail["modules"]]


def test_paging_limits_are_enforced_server_side(client, city_a):
    too_many = client.get("/api/v1/municipalities", {"limit": 1000})
    assert too_many.status_code == 422
    body = too_many.json()
    assert body["error"]["code"] == "validation_error"
    assert "limit" in body["error"]["fields"]
    page = client.get("/api/v1/municipalities", {"limit": 1, "offset": 0}).json()
    assert len(page["items"]) == 1


def test_errors_have_one_shape_in_japanese_or_english(client):
    japanese = client.get("/api/v1/municipalities/nowhere")
    assert japanese.status_code == 404
    assert japanese.json() == {"error": {"code": "not_found", "message": "見つかりません。", "fields": {}}}
    english = client.get("/api/v1/municipalities/nowhere", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["message"] == "Not found."


def test_departments_of_a_municipality(client, city_a, city_b):
    make_department(city_a, slug="shimin", name="市民課")
    make_department(city_b, slug="zeimu", name="税務課")
    items = client.get("/api/v1/municipalities/city-a/departments").json()["items"]
    assert [item["slug"] for item in items] == ["shimin"]


def _notice_count(municipality) -> int:
    with scopes_disabled():
        return Notice.objects.filter(municipality=municipality).count()


def _department_staff(municipality):
    """A 市民課 staff member (department staff post notices for their own 課)."""
    with scopes_disabled():
        department = Department.objects.filter(municipality=municipality, slug="shimin").first()
    department = department or make_department(municipality, slug="shimin", name="市民課")
    return make_staff(municipality, Role.DEPARTMENT_STAFF, department=department)


def _notice_payload(**overrides):
    payload = {
        "title": "断水のお知らせ",
        "body": "明日9時から断水します。",
        "importance": "important",
        "department": "shimin",
    }
    payload.update(overrides)
    return payload


def test_staff_create_notice_requires_session_with_mfa(city_a):
    staff = _department_staff(city_a)
    anonymous = Client().post(
        "/api/v1/municipalities/city-a/notices", _notice_payload(), content_type="application/json"
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    half_signed_in = Client()
    half_signed_in.force_login(staff)
    response = half_signed_in.post(
        "/api/v1/municipalities/city-a/notices", _notice_payload(), content_type="application/json"
    )
    assert response.status_code == 401


def test_staff_without_permission_is_refused(city_a):
    counter = make_staff(city_a, Role.COUNTER_STAFF)
    response = staff_client(counter).post(
        "/api/v1/municipalities/city-a/notices", _notice_payload(), content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_validation_errors_name_the_field(city_a):
    staff = _department_staff(city_a)
    response = staff_client(staff).post(
        "/api/v1/municipalities/city-a/notices",
        _notice_payload(title="", importance="shouting"),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"title", "importance"}
    assert fields["importance"] == ["選択肢にない値です。"]


def test_idempotency_key_replay_returns_the_first_result(city_a):
    staff = _department_staff(city_a)
    client = staff_client(staff)
    first = client.post(
        "/api/v1/municipalities/city-a/notices",
        _notice_payload(),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    second = client.post(
        "/api/v1/municipalities/city-a/notices",
        _notice_payload(),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _notice_count(city_a) == 1
    changed = client.post(
        "/api/v1/municipalities/city-a/notices",
        _notice_payload(title="別の内容"),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert changed.status_code == 422 and changed.json()["error"]["code"] == "idempotency_key_reused"
    without_key = client.post(
        "/api/v1/municipalities/city-a/notices", _notice_payload(), content_type="application/json"
    )
    assert without_key.status_code == 201
    assert _notice_count(city_a) == 2


def test_idempotency_keys_are_per_caller(city_a):
    one = _department_staff(city_a)
    two = _department_staff(city_a)
    for user in (one, two):
        response = staff_client(user).post(
            "/api/v1/municipalities/city-a/notices",
            _notice_payload(),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="shared-key",
        )
        assert response.status_code == 201
    assert _notice_count(city_a) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_create_exactly_one_record(city_a):
    """Eight parallel connections send the same Idempotency-Key at once: one notice, eight equal answers."""
    staff = _department_staff(city_a)
    session_cookie = staff_client(staff).cookies
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send() -> None:
        client = Client()
        client.cookies = session_cookie
        try:
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/municipalities/city-a/notices",
                json.dumps(_notice_payload()),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="race-key",
            )
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == workers
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert _notice_count(city_a) == 1
    assert IdempotencyRecord.objects.filter(key="race-key").count() == 1


def test_malformed_json_gets_the_error_shape(city_a):
    staff = _department_staff(city_a)
    response = staff_client(staff).post(
        "/api/v1/municipalities/city-a/notices", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_openapi_document_is_committed_and_current():
    from pathlib import Path

    from madoguchi.core.management.commands.export_openapi import openapi_document

    committed = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.json"
    assert committed.exists(), "Run `make openapi` and commit docs/api/openapi.json"
    assert committed.read_text(encoding="utf-8") == openapi_document(), "API changed: run `make openapi` and commit"


def test_api_docs_page_is_served(client):
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/municipalities" in schema["paths"]


def test_department_staff_post_only_for_their_own_department(city_a):
    staff = _department_staff(city_a)
    make_department(city_a, slug="zeimu", name="税務課")
    client = staff_client(staff)
    other = client.post(
        "/api/v1/municipalities/city-a/notices", _notice_payload(department="zeimu"), content_type="application/json"
    )
    assert other.status_code == 400 and other.json()["error"]["fields"] == {
        "department": ["担当している課を選んでください。"]
    }
    none = client.post(
        "/api/v1/municipalities/city-a/notices", _notice_payload(department=None), content_type="application/json"
    )
    assert none.status_code == 400 and none.json()["error"]["code"] == "department_not_yours"
    assert _notice_count(city_a) == 0


def test_a_form_body_sent_to_a_json_endpoint_is_told_what_to_send(city_a):
    """With CSRF checks on (as in production), the middleware reads a multipart body as a form first; the
    endpoint must then say "send JSON", not fail with a 500."""
    from django.test import Client as CsrfClient

    staff = _department_staff(city_a)
    client = CsrfClient(enforce_csrf_checks=True)
    client.force_login(staff)
    session = client.session
    session["madoguchi_mfa_verified"] = True
    session.save()
    token = "c" * 32
    client.cookies["csrftoken"] = token
    response = client.post(
        "/api/v1/municipalities/city-a/notices",
        {**_notice_payload(), "attachment": b"%PDF-1.4"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert "JSON" in response.json()["error"]["message"]
    assert _notice_count(city_a) == 0
