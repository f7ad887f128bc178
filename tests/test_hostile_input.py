"""Hostile input: oversized fields, malformed ids, injection strings, HTML, bad JSON, CSV formulas and
open-redirect attempts. Every answer is a clear refusal (a field error, 400/404/422 in the platform's error
shape) — never a 500, never a stored change, never unescaped markup, never a redirect off the site.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role, StaffMembership, User
from madoguchi.audit.services import audit_record
from madoguchi.core.models import Department, Municipality
from madoguchi.core.tenancy import municipality_scope
from madoguchi.notices import services as notice_services
from madoguchi.notices.models import Notice

from .factories import PASSWORD, make_department, make_staff, make_user, staff_client, totp_now

pytestmark = pytest.mark.django_db

MEGABYTE = "あ" * 350_000  # ~1 MB of UTF-8 (the test client posts multipart: under Django's 2.5 MB limit)
LONG = "x" * 10_000
SCRIPT = "<script>alert('xss')</script>"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


# --- Fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def admin(city_a) -> User:
    return make_staff(city_a, Role.MUNICIPALITY_ADMIN, email="kou-admin@example.jp")


@pytest.fixture
def client_a(admin) -> Client:
    return staff_client(admin)


@pytest.fixture
def department(city_a) -> Department:
    return make_department(city_a, slug="somu", name="総務課")


@pytest.fixture
def membership(city_a) -> StaffMembership:
    user = make_staff(city_a, Role.COUNTER_STAFF, email="counter@example.jp")
    with scopes_disabled():
        return StaffMembership.objects.get(user=user)


@pytest.fixture
def resident(city_a) -> User:
    return make_user(
        "hanako@example.jp",
        family_name="山田",
        given_name="花子",
        family_name_kana="ヤマダ",
        given_name_kana="ハナコ",
        phone="0763000000",
        home_municipality=city_a,
    )


@pytest.fixture
def notice(city_a, admin) -> Notice:
    with municipality_scope(city_a):
        return notice_services.notice_create(
            municipality=city_a, actor=admin, data={"title": "既存", "body": "本文"}, publish=True, request=None
        )


def _counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            "users": User.objects.count(),
            "memberships": StaffMembership.objects.count(),
            "departments": Department.objects.count(),
            "notices": Notice.objects.count(),
        }


def _field_errors(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


def _api_error(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The one JSON error shape: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    for messages in body["error"]["fields"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)
    return body["error"]


def _all_messages(error: dict[str, Any]) -> list[str]:
    return [error["message"], *[m for messages in error["fields"].values() for m in messages]]


# --- Oversized input --------------------------------------------------------------------------------------


def _department_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "新設課",
        "name_en": "",
        "slug": "shinsetsu",
        "phone": "",
        "email": "",
        "is_active": "on",
        **overrides,
    }


def _notice_form(**overrides: str) -> dict[str, str]:
    return {
        "title": "お知らせ",
        "title_en": "",
        "body": "本文",
        "body_en": "",
        "importance": "normal",
        "publish": "on",
        **overrides,
    }


def _user_form(**overrides: str) -> dict[str, str]:
    return {"email": "new@example.jp", "family_name": "新", "given_name": "人", "role": Role.COUNTER_STAFF, **overrides}


OVERSIZED_FORMS = [
    ("department name 1 MB", "/city-a/staff/departments/add/", _department_form(name=MEGABYTE), "name"),
    ("department name 10k", "/city-a/staff/departments/add/", _department_form(name=LONG), "name"),
    ("department slug 10k", "/city-a/staff/departments/add/", _department_form(slug="a" * 10_000), "slug"),
    ("department email 10k", "/city-a/staff/departments/add/", _department_form(email=LONG + "@example.jp"), "email"),
    ("department phone 10k", "/city-a/staff/departments/add/", _department_form(phone="0" * 10_000), "phone"),
    ("notice title 10k", "/city-a/staff/notices/add/", _notice_form(title=LONG), "title"),
    ("notice body 1 MB", "/city-a/staff/notices/add/", _notice_form(body=MEGABYTE), "body"),
    ("notice title_en 10k", "/city-a/staff/notices/add/", _notice_form(title_en=LONG), "title_en"),
    ("staff family name 10k", "/city-a/staff/users/add/", _user_form(family_name=LONG), "family_name"),
    ("staff given name 1 MB", "/city-a/staff/users/add/", _user_form(given_name=MEGABYTE), "given_name"),
    ("staff email 10k", "/city-a/staff/users/add/", _user_form(email=LONG + "@example.jp"), "email"),
    (
        "settings address 1 MB",
        "/city-a/staff/settings/",
        {"address": MEGABYTE, "audit_retention_days": "400"},
        "address",
    ),
    (
        "settings office hours 10k",
        "/city-a/staff/settings/",
        {"office_hours": LONG, "audit_retention_days": "400"},
        "office_hours",
    ),
    (
        "settings website 10k",
        "/city-a/staff/settings/",
        {"website": "https://" + LONG + ".jp", "audit_retention_days": "400"},
        "website",
    ),
    ("settings retention huge", "/city-a/staff/settings/", {"audit_retention_days": "9" * 40}, "audit_retention_days"),
]


@pytest.mark.parametrize(("description", "url", "data", "field"), OVERSIZED_FORMS, ids=[o[0] for o in OVERSIZED_FORMS])
def test_oversized_form_fields_are_field_errors(description, url, data, field, client_a, city_a):
    before = _counts()
    contact_before = Municipality.objects.get(pk=city_a.pk).address
    response = client_a.post(url, data)
    assert response.status_code in (200, 400)
    errors = _field_errors(response)
    assert errors.get(field), errors
    assert all(JAPANESE.search(message) for message in errors[field]), errors[field]
    assert _counts() == before
    assert Municipality.objects.get(pk=city_a.pk).address == contact_before


def test_oversized_notice_messages_say_the_limit(client_a):
    title = _field_errors(client_a.post("/city-a/staff/notices/add/", _notice_form(title=LONG)))["title"]
    body = _field_errors(client_a.post("/city-a/staff/notices/add/", _notice_form(body=MEGABYTE)))["body"]
    assert title == ["タイトルは120文字以内にしてください。"]
    assert body == ["本文は10,000文字以内にしてください。"]


@pytest.mark.parametrize("value", ["9" * 30, "9" * 5000, "-5", "0", "1e3", "abc", MEGABYTE])
def test_module_setting_out_of_range_or_not_a_number(value, client_a, city_a):
    response = client_a.post("/city-a/staff/modules/", {"notices__enabled": "on", "notices__home_count": value})
    assert response.status_code == 400
    errors = {item["href"]: item["message"] for item in response.context["error_items"]}
    assert "#id_notices__home_count" in errors
    assert JAPANESE.search(errors["#id_notices__home_count"])


def test_request_bigger_than_the_upload_limit_is_400(client_a):
    before = _counts()
    response = client_a.post("/city-a/staff/departments/add/", _department_form(name="y" * 3_000_000))
    assert response.status_code == 400
    assert _counts() == before


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/city-a/staff/residents/", {"q": MEGABYTE}),
        ("/city-a/staff/audit/", {"actor": LONG}),
        ("/city-a/staff/audit/", {"object_id": LONG}),
        ("/city-a/staff/audit/", {"date_from": LONG}),
    ],
)
def test_oversized_search_terms_are_field_errors(url, query, client_a, resident):
    response = client_a.get(url, query)
    assert response.status_code == 400
    errors = _field_errors(response)
    assert list(errors) == list(query)


def test_oversized_login_fields_do_not_crash(city_a):
    client = Client()
    response = client.post("/accounts/login/", {"email": LONG + "@example.jp", "password": MEGABYTE})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_oversized_request_id_is_not_echoed(client_a):
    response = client_a.get("/city-a/staff/", HTTP_X_REQUEST_ID="a" * 10_000)
    assert response.status_code == 200
    assert len(response["X-Request-ID"]) <= 64


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", LONG),
        ("title_en", LONG),
        pytest.param("body", "b" * 10_001),
        ("body_en", MEGABYTE),
    ],
)
def test_api_oversized_fields_are_422_with_the_field(field, value, client_a):
    before = _counts()
    payload = {"title": "お知らせ", "body": "本文", field: value}
    response = client_a.post(
        "/api/v1/municipalities/city-a/notices", data=json.dumps(payload), content_type="application/json"
    )
    error = _api_error(response, 422)
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert JAPANESE.search(error["fields"][field][0])
    assert _counts() == before


def test_api_body_bigger_than_the_upload_limit_is_refused_not_500(client_a):
    before = _counts()
    payload = {"title": "お知らせ", "body": "y" * 3_000_000}
    response = client_a.post(
        "/api/v1/municipalities/city-a/notices", data=json.dumps(payload), content_type="application/json"
    )
    assert response.status_code in (400, 413)
    _api_error(response, response.status_code)
    assert _counts() == before


def test_api_oversized_idempotency_key_is_400(client_a):
    before = _counts()
    response = client_a.post(
        "/api/v1/municipalities/city-a/notices",
        data=json.dumps({"title": "お知らせ", "body": "本文"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k" * 10_000,
    )
    error = _api_error(response, 400)
    assert error["code"] == "idempotency_key_invalid"
    assert _counts() == before


# --- Malformed ids in every URL that carries one ----------------------------------------------------------


MALFORMED_IDS = [
    "not-a-uuid",
    "123",
    "0",
    "-1",
    "00000000-0000-0000-0000-000000000000",
    "' OR '1'='1",
    "1%20OR%201=1",
    "%00",
    "%27%3B--",
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%E3%81%82%E3%81%84%E3%81%86",
    "a" * 5000,
    "{12345678-1234-5678-1234-567812345678}",
    "12345678123456781234567812345678" + "0",
    "null",
]

ID_URLS = [
    "/city-a/staff/users/{id}/",
    "/city-a/staff/departments/{id}/",
    "/city-a/staff/residents/{id}/",
    "/city-a/staff/notices/{id}/",
    "/city-a/notices/{id}/",
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
@pytest.mark.parametrize("template", ID_URLS)
def test_malformed_ids_are_404(template, bad_id, client_a, membership, department, resident, notice):
    url = template.format(id=bad_id)
    assert client_a.get(url).status_code == 404


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
@pytest.mark.parametrize(
    ("template", "data"),
    [
        ("/city-a/staff/users/{id}/", {"department": ""}),
        ("/city-a/staff/departments/{id}/", _department_form()),
        ("/city-a/staff/notices/{id}/", _notice_form()),
    ],
)
def test_malformed_ids_in_writes_are_404_and_change_nothing(
    template, data, bad_id, client_a, membership, department, notice
):
    before = _counts()
    assert client_a.post(template.format(id=bad_id), data).status_code == 404
    assert _counts() == before
    with scopes_disabled():
        assert StaffMembership.objects.get(pk=membership.pk).is_active


@pytest.mark.parametrize("bad_id", [i for i in MALFORMED_IDS if "%2F" not in i])  # '/' changes the route: see below
def test_api_malformed_notice_ids_are_404_in_the_error_shape(bad_id, notice):
    error = _api_error(Client().get(f"/api/v1/municipalities/city-a/notices/{bad_id}"), 404)
    assert error["code"] == "not_found"


@pytest.mark.parametrize("bad_slug", ["' OR '1'='1", "%00", "city-a%27--", "a" * 500, "admin", "api", "CITY-A"])
@pytest.mark.parametrize("suffix", ["", "/departments", "/notices"])
def test_api_malformed_municipality_slugs_are_404(bad_slug, suffix, city_a):
    error = _api_error(Client().get(f"/api/v1/municipalities/{bad_slug}{suffix}"), 404)
    assert error["code"] == "not_found"


@pytest.mark.parametrize(
    "bad_slug", ["nowhere", "city-a'--", "%00", "CITY-A", "a" * 300, "..", "%2e%2e", "city-a%20", "%E7%94%B2%E5%B8%82"]
)
@pytest.mark.parametrize("suffix", ["/", "/notices/", "/staff/", "/staff/users/", "/staff/audit/export.csv"])
def test_unknown_or_malformed_municipality_slugs_are_404(bad_slug, suffix, client_a):
    client_a.raise_request_exception = False
    response = client_a.get(f"/{bad_slug}{suffix}")
    assert response.status_code == 404, (bad_slug, suffix, response.status_code)


@pytest.mark.parametrize(
    "bad",
    ["x", "not-a-token", "' OR 1=1 --", "%00", "a" * 3000, "%3Cscript%3E", "MQ", "eyJ1c2VyIjoiMSJ9:bad:sig", "..."],
)
def test_malformed_tokens_and_provider_slugs_never_500(bad, city_a):
    client = Client(raise_request_exception=False)
    answers = {
        "verify GET": client.get(f"/accounts/verify/{bad}/"),
        "verify POST": client.post(f"/accounts/verify/{bad}/"),
        "reset": client.get(f"/accounts/password/reset/{bad}/{bad}/"),
        "oidc start": client.get(f"/city-a/auth/oidc/{bad}/start/"),
        "oidc callback": client.get(f"/city-a/auth/oidc/{bad}/callback/", {"code": bad, "state": bad}),
        "oidc jwks": client.get(f"/city-a/auth/oidc/{bad}/jwks.json"),
    }
    assert {name: r.status_code for name, r in answers.items() if r.status_code >= 500} == {}
    # A bad verification link is refused with a message, and no provider exists under that name.
    assert answers["verify POST"].status_code in (400, 404)
    for name in ("oidc start", "oidc callback", "oidc jwks"):
        assert answers[name].status_code == 404, name


# --- Injection-like strings in searches and text fields ----------------------------------------------------


INJECTIONS = [
    "' OR '1'='1",
    '" OR ""="',
    "1; DROP TABLE accounts_user; --",
    "%%",
    "_%",
    "%' --",
    "\\\\",
    "') UNION SELECT email, password FROM accounts_user --",
    "*)(uid=*))(|(uid=*",
]


@pytest.mark.parametrize("query", INJECTIONS)
def test_resident_search_treats_injection_as_text(query, client_a, resident):
    before = _counts()
    response = client_a.get("/city-a/staff/residents/", {"q": query})
    assert response.status_code == 200
    # A resident exists, and a literal search for this text matches nobody: LIKE wildcards were escaped.
    assert response.context["page_obj"].paginator.count == 0
    assert _counts() == before
    assert client_a.get("/city-a/staff/residents/", {"q": "花子"}).context["page_obj"].paginator.count == 1


@pytest.mark.parametrize("query", INJECTIONS)
@pytest.mark.parametrize("field", ["actor", "object_id", "action"])
def test_audit_filters_treat_injection_as_text(field, query, client_a, admin, city_a):
    audit_record(action="department.created", actor=admin, municipality=city_a, object_type="department", object_id="x")
    response = client_a.get("/city-a/staff/audit/", {field: query})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 0
    export = client_a.get("/city-a/staff/audit/export.csv", {field: query})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1  # the header only


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_text_is_stored_verbatim(text, client_a):
    response = client_a.post("/city-a/staff/notices/add/", _notice_form(title=text, body=text))
    assert response.status_code == 302
    with scopes_disabled():
        stored = Notice.objects.get(title=text)
    assert stored.body == text
    assert User.objects.filter(email="kou-admin@example.jp").exists()


# --- HTML and script are escaped on output -----------------------------------------------------------------


def _assert_escaped(body: str, payload: str = SCRIPT) -> None:
    assert payload not in body
    assert "&lt;script&gt;alert(" in body


def test_notice_markup_is_escaped_everywhere(client_a, city_a):
    response = client_a.post(
        "/city-a/staff/notices/add/", _notice_form(title=SCRIPT, body=f"一行目\n{SCRIPT}\n<img src=x onerror=alert(1)>")
    )
    assert response.status_code == 302
    with scopes_disabled():
        notice = Notice.objects.get(title=SCRIPT)
    pages = [
        "/city-a/",
        "/city-a/notices/",
        f"/city-a/notices/{notice.public_id}/",
        "/city-a/staff/notices/",
        f"/city-a/staff/notices/{notice.public_id}/",
    ]
    for url in pages:
        body = client_a.get(url).content.decode()
        _assert_escaped(body)
        assert "<img src=x" not in body, url
    api = Client().get(f"/api/v1/municipalities/city-a/notices/{notice.public_id}")
    assert api["Content-Type"].startswith("application/json")
    assert api.json()["title"] == SCRIPT  # data, not markup: JSON carries it verbatim


def test_department_markup_is_escaped_everywhere(client_a):
    response = client_a.post("/city-a/staff/departments/add/", _department_form(name=SCRIPT))
    assert response.status_code == 302
    for url in ["/city-a/staff/departments/", "/city-a/staff/audit/"]:
        _assert_escaped(client_a.get(url).content.decode())


@pytest.mark.parametrize("url", ["/city-a/staff/notices/add/", "/city-a/staff/users/add/"])
def test_department_choices_are_escaped(url, client_a):
    assert client_a.post("/city-a/staff/departments/add/", _department_form(name=SCRIPT)).status_code == 302
    _assert_escaped(client_a.get(url).content.decode())


def test_resident_markup_is_escaped(client_a, city_a):
    person = make_user(
        "mark@example.jp",
        family_name=SCRIPT[:50],
        given_name="花子",
        building='"><svg onload=alert(1)>',
        home_municipality=city_a,
    )
    listing = client_a.get("/city-a/staff/residents/", {"q": "花子"}).content.decode()
    assert SCRIPT[:50] not in listing and "&lt;script&gt;" in listing
    detail = client_a.get(f"/city-a/staff/residents/{person.public_id}/").content.decode()
    assert SCRIPT[:50] not in detail and "&lt;script&gt;" in detail
    assert "<svg onload" not in detail


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/city-a/staff/residents/", "q"),
        ("/city-a/staff/audit/", "actor"),
        ("/city-a/staff/audit/", "object_id"),
        ("/city-a/staff/audit/", "date_from"),
    ],
)
def test_search_terms_are_escaped_when_shown_back(url, param, client_a):
    body = client_a.get(url, {param: SCRIPT}).content.decode()
    _assert_escaped(body)


@pytest.mark.parametrize("payload", [SCRIPT, '"><script>alert(1)</script>', "javascript:alert(1)"])
def test_language_switch_and_page_params_are_not_reflected_raw(payload, client_a, notice):
    for url in ["/city-a/", "/city-a/notices/", "/city-a/staff/users/", "/city-a/staff/audit/"]:
        response = client_a.get(url, {"lang": payload, "page": payload})
        assert response.status_code == 200
        assert "<script>alert(" not in response.content.decode()


# --- API: invalid JSON and wrong types -----------------------------------------------------------------------

NOTICES_API = "/api/v1/municipalities/city-a/notices"

WRONG_BODIES = [
    ("title not a string", {"title": 123, "body": "本文"}, "title"),
    ("title a list", {"title": ["a"], "body": "本文"}, "title"),
    pytest.param("body null", {"title": "題", "body": None}, "body", id="body null"),
    pytest.param("body an object", {"title": "題", "body": {"a": 1}}, "body", id="body an object"),
    ("importance unknown", {"title": "題", "body": "本文", "importance": "bogus"}, "importance"),
    ("publish not a boolean", {"title": "題", "body": "本文", "publish": "maybe"}, "publish"),
    ("department a number", {"title": "題", "body": "本文", "department": 5}, "department"),
    ("title empty", {"title": "", "body": "本文"}, "title"),
    ("title missing", {"body": "本文"}, "title"),
    pytest.param("body missing", {"title": "題"}, "body", id="body missing"),
]


@pytest.mark.parametrize(("description", "payload", "field"), WRONG_BODIES)
def test_api_wrong_types_are_422_with_japanese_field_messages(description, payload, field, client_a):
    before = _counts()
    response = client_a.post(NOTICES_API, data=json.dumps(payload), content_type="application/json")
    error = _api_error(response, 422)
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert response["Content-Language"] == "ja"
    assert all(JAPANESE.search(m) for m in _all_messages(error)), _all_messages(error)
    assert _counts() == before


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null", "true"])
def test_api_json_that_is_not_an_object_is_422(raw, client_a):
    before = _counts()
    error = _api_error(client_a.post(NOTICES_API, data=raw, content_type="application/json"), 422)
    assert error["code"] == "validation_error"
    assert all(JAPANESE.search(m) for m in _all_messages(error))
    assert _counts() == before


INVALID_JSON = ["{not json", '{"title": "a", "body": }', "\x00\x01", '{"title": "a"', "{'title': 'a'}", "{,}"]


@pytest.mark.parametrize("raw", INVALID_JSON)
def test_api_invalid_json_is_refused_in_japanese(raw, client_a):
    before = _counts()
    response = client_a.post(NOTICES_API, data=raw, content_type="application/json")
    error = _api_error(response, response.status_code)
    assert response.status_code in (400, 422)
    assert all(JAPANESE.search(m) for m in _all_messages(error)), _all_messages(error)
    assert _counts() == before


@pytest.mark.parametrize("raw", INVALID_JSON)
def test_api_invalid_json_is_refused_in_the_error_shape(raw, client_a):
    before = _counts()
    response = client_a.post(NOTICES_API, data=raw, content_type="application/json")
    assert response.status_code in (400, 422)
    _api_error(response, response.status_code)
    assert _counts() == before


def test_api_form_encoded_body_is_refused_in_the_error_shape(client_a):
    before = _counts()
    response = client_a.post(NOTICES_API, {"title": "題", "body": "本文"})
    assert response.status_code in (400, 415, 422)
    _api_error(response, response.status_code)
    assert _counts() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("offset=1e3", "offset"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/municipalities", "/api/v1/municipalities/city-a/departments", NOTICES_API])
def test_api_bad_paging_is_422(path, query, field, city_a):
    response = Client().get(f"{path}?{query}")
    error = _api_error(response, 422)
    assert list(error["fields"]) == [field]
    assert all(JAPANESE.search(m) for m in _all_messages(error))


def _english(messages: list[str]) -> bool:
    return all(m and not JAPANESE.search(m) for m in messages)


ENGLISH_CASES = [
    ("wrong type", "POST", NOTICES_API, json.dumps({"title": 1, "body": "x"}), 422),
    ("missing field", "POST", NOTICES_API, json.dumps({"title": "x"}), 422),
    ("bad paging", "GET", NOTICES_API + "?limit=abc", None, 422),
    ("not found", "GET", NOTICES_API + "/not-a-uuid", None, 404),
    ("unknown municipality", "GET", "/api/v1/municipalities/nowhere", None, 404),
    ("bad idempotency key", "POST", NOTICES_API, json.dumps({"title": "x", "body": "y"}), 400),
]


@pytest.mark.parametrize(
    ("description", "method", "url", "body", "status"), ENGLISH_CASES, ids=[c[0] for c in ENGLISH_CASES]
)
def test_api_errors_in_english_with_accept_language_en(description, method, url, body, status, client_a):
    extra = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
    if description == "bad idempotency key":
        extra["HTTP_IDEMPOTENCY_KEY"] = "k" * 500
    if method == "GET":
        response = client_a.get(url, **extra)
    else:
        response = client_a.post(url, data=body, content_type="application/json", **extra)
    error = _api_error(response, status)
    assert response["Content-Language"] == "en"
    assert _english(_all_messages(error)), _all_messages(error)


def test_api_invalid_json_error_in_english_is_a_translated_message(client_a):
    # Passes only when the message is a translation of ours, not ninja's fixed English text.
    ja = client_a.post(NOTICES_API, data="{not json", content_type="application/json")
    en = client_a.post(NOTICES_API, data="{not json", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert _api_error(ja, ja.status_code)["message"] != _api_error(en, en.status_code)["message"]


@pytest.mark.parametrize(
    ("description", "method", "url", "body", "status"), ENGLISH_CASES, ids=[c[0] for c in ENGLISH_CASES]
)
def test_api_errors_in_japanese_by_default(description, method, url, body, status, client_a):
    extra = {"HTTP_IDEMPOTENCY_KEY": "k" * 500} if description == "bad idempotency key" else {}
    if method == "GET":
        response = client_a.get(url, **extra)
    else:
        response = client_a.post(url, data=body, content_type="application/json", **extra)
    error = _api_error(response, status)
    assert response["Content-Language"] == "ja"
    assert all(JAPANESE.search(m) for m in _all_messages(error)), _all_messages(error)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/nope", 404),
        ("GET", "/api/v1/municipalities/city-a/nope", 404),
        ("GET", NOTICES_API + "/..%2F..%2Fetc%2Fpasswd", 404),
        ("PUT", NOTICES_API, 405),
        ("DELETE", NOTICES_API, 405),
    ],
)
def test_api_unknown_routes_and_methods_use_the_error_shape(method, url, status, client_a):
    response = client_a.generic(method, url, data="{}", content_type="application/json")
    _api_error(response, status)


@pytest.mark.parametrize("field", ["title", "body", "title_en", "body_en"])
def test_api_refuses_nul_characters(field, client_a):
    before = _counts()
    payload = {"title": "題", "body": "本文", field: "a\x00b"}
    error = _api_error(client_a.post(NOTICES_API, data=json.dumps(payload), content_type="application/json"), 422)
    assert field in error["fields"]
    assert _counts() == before


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("/city-a/staff/notices/add/", _notice_form(title="a\x00b"), "title"),
        ("/city-a/staff/notices/add/", _notice_form(body="a\x00b"), "body"),
        ("/city-a/staff/departments/add/", _department_form(name="a\x00b"), "name"),
        ("/city-a/staff/departments/add/", _department_form(slug="a\x00b"), "slug"),
        ("/city-a/staff/users/add/", _user_form(family_name="a\x00b"), "family_name"),
        ("/city-a/staff/settings/", {"address": "a\x00b", "audit_retention_days": "400"}, "address"),
    ],
)
def test_forms_refuse_nul_characters(url, data, field, client_a):
    before = _counts()
    response = client_a.post(url, data)
    assert response.status_code in (200, 400)
    assert field in _field_errors(response)
    assert _counts() == before


# --- CSV injection in the audit export ----------------------------------------------------------------------


FORMULA_START = ("=", "+", "-", "@")


def _export_rows(client: Client) -> list[list[str]]:
    response = client.get("/city-a/staff/audit/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows[1:] for cell in row if cell[:1] in FORMULA_START]


@pytest.mark.parametrize(
    "email",
    [
        '=HYPERLINK("http://evil.example")@example.jp',
        "+cmd|'/C calc'!A0@example.jp",
        "-2+3@example.jp",
        "=1+1@example.jp",
    ],
)
def test_audit_export_neutralises_formulas_in_actor(email, client_a, city_a):
    hostile = make_staff(city_a, Role.MUNICIPALITY_ADMIN, email=email)
    audit_record(
        action="department.created", actor=hostile, municipality=city_a, object_type="department", object_id="d"
    )
    rows = _export_rows(client_a)
    assert _formula_cells(rows) == []
    actor_column = rows[0].index("actor")
    assert "'" + hostile.email in [row[actor_column] for row in rows[1:]]


def test_audit_export_of_a_hostile_department_name(client_a):
    """A department name is staff input that reaches the export (through the event details)."""
    assert (
        client_a.post("/city-a/staff/departments/add/", _department_form(name="=1+1", slug="formula")).status_code
        == 302
    )
    rows = _export_rows(client_a)
    assert _formula_cells(rows) == []
    assert any("=1+1" in cell for row in rows for cell in row)  # it is there, just not as a formula


def test_audit_export_neutralises_formulas_in_request_id(client_a):
    response = client_a.post("/city-a/staff/departments/add/", _department_form(), HTTP_X_REQUEST_ID="-A1-A1-A1")
    assert response.status_code == 302
    rows = _export_rows(client_a)
    assert _formula_cells(rows) == []


# --- Open redirects through `next` ---------------------------------------------------------------------------


EVIL_NEXT = [
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/",
    "HTTPS://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http://testserver@evil.example/",
    "http://evil.example\\@testserver/",
    "/\\evil.example",
    "\\\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
]


def _is_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and not location.startswith("/\\")
    )


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_page_does_not_carry_an_external_next(target, city_a):
    body = Client().get("/accounts/login/", {"next": target}).content.decode()
    # The form carries "/" instead; (the header's own login link may carry the current URL, percent-encoded).
    assert re.findall(r'name="next" value="([^"]*)"', body) == ["/"]
    assert 'href="//evil' not in body and 'href="https://evil' not in body
    assert "<script>alert(1)" not in body


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_resident_login_never_redirects_off_site(target, city_a):
    make_user("resident@example.jp")
    response = Client().post("/accounts/login/", {"email": "resident@example.jp", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_staff_login_and_second_factor_never_redirect_off_site(target, city_a):
    make_staff(city_a, Role.MUNICIPALITY_ADMIN, email="staff@example.jp")
    client = Client()
    step1 = client.post("/accounts/login/", {"email": "staff@example.jp", "password": PASSWORD, "next": target})
    assert step1.status_code == 302
    assert _is_on_site(step1["Location"]) and "evil" not in step1["Location"]
    step2 = client.post(step1["Location"], {"code": totp_now(), "next": target})
    assert step2.status_code == 302
    assert step2["Location"] == "/"


def test_next_smuggled_in_a_relative_next_is_still_checked(city_a):
    make_staff(city_a, Role.MUNICIPALITY_ADMIN, email="staff@example.jp")
    client = Client()
    step1 = client.post(
        "/accounts/login/",
        {"email": "staff@example.jp", "password": PASSWORD, "next": "/city-a/?x=1&next=//evil.example"},
    )
    assert step1.status_code == 302
    step2 = client.post(step1["Location"], {"code": totp_now()})
    assert step2.status_code == 302
    # Wherever the smuggled parameter ends up, the redirect itself stays on this site.
    assert _is_on_site(step2["Location"])
    assert step2["Location"] in ("/", "/city-a/?x=1&next=//evil.example")


def test_on_site_next_is_honoured(city_a):
    """The positive control: a plain local path survives sign-in."""
    make_user("resident@example.jp")
    response = Client().post(
        "/accounts/login/", {"email": "resident@example.jp", "password": PASSWORD, "next": "/city-a/notices/"}
    )
    assert response["Location"] == "/city-a/notices/"


def test_staff_next_with_query_string_survives_the_second_factor(city_a):
    make_staff(city_a, Role.MUNICIPALITY_ADMIN, email="staff@example.jp")
    wanted = "/city-a/staff/audit/?actor=x&action=y"
    client = Client()
    step1 = client.post("/accounts/login/", {"email": "staff@example.jp", "password": PASSWORD, "next": wanted})
    assert parse_qs(urlsplit(step1["Location"]).query).get("next") == [wanted]
    step2 = client.post(step1["Location"], {"code": totp_now()})
    assert step2["Location"] == wanted


# --- Nothing ever answers 500 ---------------------------------------------------------------------------------


HOSTILE_QUERIES = [
    {"page": "-1"},
    {"page": "0"},
    {"page": "abc"},
    {"page": "9" * 40},
    {"page": "1e9"},
    {"page": "\x00"},
    {"date_from": "9999-99-99"},
    {"date_from": "0000-01-01"},
    {"date_from": "R99.13.40"},
    {"date_from": "令和0年1月1日"},
    {"date_from": "明治1年1月1日"},
    {"date_from": "H100.1.1"},
    {"date_from": "2026-02-30"},
    {"date_from": "99999999"},
    {"date_from": "\x00"},
    {"date_from": "2026-04-01", "date_to": "2026-03-01"},
    {"q": "\x00\x00"},
    {"q": "a" * 101},
    {"actor": "\x00"},
    {"action": "\x00"},
    {"lang": "\x00"},
]

GET_SCREENS = [
    "/city-a/",
    "/city-a/notices/",
    "/city-a/staff/",
    "/city-a/staff/users/",
    "/city-a/staff/departments/",
    "/city-a/staff/modules/",
    "/city-a/staff/settings/",
    "/city-a/staff/audit/",
    "/city-a/staff/audit/export.csv",
    "/city-a/staff/residents/",
    "/city-a/staff/notices/",
    "/api/v1/municipalities",
    "/api/v1/municipalities/city-a/departments",
    NOTICES_API,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: repr(q)[:40])
@pytest.mark.parametrize("url", GET_SCREENS)
def test_hostile_query_strings_never_500(url, query, client_a, resident, notice):
    client_a.raise_request_exception = False
    response = client_a.get(url, query)
    assert response.status_code < 500, (url, query, response.status_code)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


HOSTILE_VALUES = [
    "\x00",
    "' OR 1=1 --",
    SCRIPT,
    "９" * 20,
    "-1",
    "1e400",
    "[]",
    "{}",
    "\u202e",
    "\r\n\r\nX-Injected: 1",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: repr(v)[:30])
@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/city-a/staff/departments/add/", list(_department_form())),
        ("/city-a/staff/notices/add/", [*_notice_form(), "department"]),
        ("/city-a/staff/users/add/", [*_user_form(), "department"]),
        ("/city-a/staff/users/{membership}/", ["is_active", "department"]),
        (
            "/city-a/staff/settings/",
            ["contact_department", "contact_phone", "contact_email", "postal_code", "website", "audit_retention_days"],
        ),
        ("/city-a/staff/modules/", ["notices__enabled", "notices__home_count"]),
        ("/accounts/login/", ["email", "password", "next"]),
        ("/accounts/signup/", ["email", "password1", "password2", "preferred_language"]),
    ],
)
def test_hostile_form_values_never_500(url, fields, value, client_a, membership, department):
    url = url.format(membership=membership.public_id)
    client_a.raise_request_exception = False
    for name in fields:
        response = client_a.post(url, {name: value})
        assert response.status_code < 500, (url, name, response.status_code)


API_VALUES = [*HOSTILE_VALUES, "\ud800", 10**30, -1, 1.5, True, None, [], {}]
API_FIELDS = ["title", "body", "title_en", "body_en", "importance", "department", "publish"]


@pytest.mark.parametrize(
    ("field", "value"),
    [pytest.param(f, v, id=f"{f}-{repr(v)[:30]}") for f in API_FIELDS for v in API_VALUES],
)
def test_hostile_api_values_never_500(field, value, client_a):
    payload: dict[str, Any] = {"title": "題", "body": "本文", field: value}
    response = client_a.post(NOTICES_API, data=json.dumps(payload), content_type="application/json")
    assert response.status_code < 500, (field, value, response.status_code, response.content[:200])
    if response.status_code >= 400:
        _api_error(response, response.status_code)


@pytest.mark.parametrize("header", ["HTTP_ACCEPT_LANGUAGE", "HTTP_X_REQUEST_ID", "HTTP_IDEMPOTENCY_KEY", "HTTP_COOKIE"])
@pytest.mark.parametrize("value", ["\x00", "a" * 8000, "en;q=abc,,,;", "madoguchi_language=<script>", "é" * 10])
def test_hostile_headers_never_500(header, value, client_a):
    client_a.raise_request_exception = False
    for response in (
        client_a.get("/city-a/", **{header: value}),
        client_a.get("/city-a/staff/", **{header: value}),
        client_a.post(
            NOTICES_API,
            data=json.dumps({"title": "題", "body": "本文"}),
            content_type="application/json",
            **{header: value},
        ),
    ):
        assert response.status_code < 500, (header, value, response.status_code)
