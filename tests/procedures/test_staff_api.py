"""The staff API of procedures: inbox, one application, processing actions and the export for core systems,
called with an API token or the staff session, within the caller's municipality and departments."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core import services as core_services
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import FormVersion, Procedure, Submission, SubmissionEvent, SubmissionStatus

from ..factories import enable_module, make_department, make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db

READ = ["procedures.manage:read"]
WRITE = ["procedures.manage:write"]
JST = datetime.timezone(datetime.timedelta(hours=9))

ANSWERS = {
    "applicant_name": {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
    },
    "applicant_phone": "09012345678",
    "relationship": "self",
    "copies": 2,
    "purpose": "employment",
    "delivery": "post",
    "declaration": True,
}


def application(procedure, *, submitted_at=None, answers=None, status=SubmissionStatus.SUBMITTED, applicant=None):
    with municipality_scope(procedure.municipality):
        version, _ = FormVersion.objects.get_or_create(
            procedure=procedure,
            number=1,
            defaults={"status": FormVersion.Status.LIVE, "definition": example_json("juminhyo")},
        )
        return Submission.objects.create(
            municipality=procedure.municipality,
            procedure=procedure,
            form_version=version,
            department=procedure.department,
            applicant=applicant or make_user(),
            status=status,
            answers=answers if answers is not None else ANSWERS,
            fee_total=600,
            submitted_at=submitted_at or timezone.now(),
            receipt_number=submissions.receipt_number_issue(municipality=procedure.municipality),
        )


def token_for(municipality, scopes=WRITE, departments=(), name="基幹系", expires_at=None):
    with municipality_scope(municipality):
        token, secret = core_services.api_token_create(
            municipality=municipality,
            actor=None,
            name=name,
            scopes=scopes,
            departments=list(departments),
            expires_at=expires_at,
            request=None,
        )
    return token, secret


def api(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, path: str, body: dict, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def zeimu_procedure(city_a, shimin_a):
    """A second procedure, of another 課 (税務課), in city A."""
    department = make_department(city_a, slug="zeimu", name="税務課")
    with municipality_scope(city_a):
        return Procedure.objects.create(
            municipality=city_a,
            slug="zeimu-shomei",
            name="税務証明の交付申請",
            name_kana="ぜいむしょうめいのこうふしんせい",
            summary="概要",
            category="certificates",
            department=department,
            applicants=["self"],
            is_published=True,
        )


BASE = "/api/v1/municipalities/city-a"


# --- Listing ---------------------------------------------------------------------------------------------


def test_inbox_listing_with_filters_and_paging(city_a, juminhyo_a):
    _token, secret = token_for(city_a, READ)
    first = application(juminhyo_a, submitted_at=datetime.datetime(2026, 4, 1, 9, 0, tzinfo=JST))
    second = application(juminhyo_a, submitted_at=datetime.datetime(2026, 4, 2, 9, 0, tzinfo=JST))
    third = application(
        juminhyo_a, submitted_at=datetime.datetime(2026, 4, 3, 9, 0, tzinfo=JST), status=SubmissionStatus.ACCEPTED
    )
    client = api(secret)
    everything = client.get(f"{BASE}/applications").json()
    assert everything["count"] == 3
    assert [item["receipt_number"] for item in everything["items"]] == [
        third.receipt_number,
        second.receipt_number,
        first.receipt_number,
    ]
    assert everything["items"][0]["status_label"] == "受付" and everything["items"][0]["fee_total"] == 600
    paged = client.get(f"{BASE}/applications", {"limit": 1, "offset": 1}).json()
    assert paged["count"] == 3 and [i["receipt_number"] for i in paged["items"]] == [second.receipt_number]
    accepted = client.get(f"{BASE}/applications", {"status": "accepted"}).json()
    assert [i["receipt_number"] for i in accepted["items"]] == [third.receipt_number]
    ranged = client.get(f"{BASE}/applications", {"submitted_from": "令和8年4月2日", "submitted_to": "2026-04-02"})
    assert [i["receipt_number"] for i in ranged.json()["items"]] == [second.receipt_number]
    by_number = client.get(f"{BASE}/applications", {"q": first.receipt_number, "procedure": juminhyo_a.slug})
    assert [i["receipt_number"] for i in by_number.json()["items"]] == [first.receipt_number]
    assert client.get(f"{BASE}/applications", {"assignee": "none"}).json()["count"] == 3
    # The list names applicants: each call is in the audit log, with the token as the actor.
    searches = AuditEvent.objects.filter(action="personal_data.search", actor_label="api-token:基幹系")
    assert searches.count() == 6 and searches.first().actor is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 100_000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "abc"}, "offset"),
        ({"status": "draft"}, "status"),
        ({"assignee": "everyone"}, "assignee"),
        ({"submitted_from": "2026-13-45"}, "submitted_from"),
        ({"submitted_from": "昨日"}, "submitted_from"),
        ({"submitted_from": "2026-04-02", "submitted_to": "2026-04-01"}, "submitted_to"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"procedure": "no-such-procedure"}, "procedure"),
        ({"procedure": "' OR 1=1 --"}, "procedure"),
        ({"assignee": "me"}, "assignee"),  # a token is nobody's "me"
    ],
)
def test_hostile_listing_parameters_are_422_at_the_field(city_a, juminhyo_a, params, field):
    _token, secret = token_for(city_a, READ)
    response = api(secret).get(f"{BASE}/applications", params)
    assert response.status_code == 422, response.content
    body = response.json()["error"]
    assert body["code"] == "validation_error" and field in body["fields"] and body["fields"][field][0]


def test_date_messages_say_what_is_wrong(city_a, juminhyo_a):
    _token, secret = token_for(city_a, READ)
    response = api(secret).get(f"{BASE}/applications", {"submitted_from": "2026-02-30"})
    assert "2月に30日はありません" in response.json()["error"]["fields"]["submitted_from"][0]
    english = api(secret).get(f"{BASE}/applications", {"submitted_to": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    message = english.json()["error"]["fields"]["submitted_to"][0]
    assert message and not any("\u3040" <= ch <= "\u30ff" for ch in message)


# --- Authentication and authorisation ---------------------------------------------------------------------


def test_no_credentials_or_a_session_without_mfa_is_401(city_a, juminhyo_a):
    assert Client().get(f"{BASE}/applications").status_code == 401
    user = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    client = Client()
    client.force_login(user, backend="madoguchi.accounts.backends.EmailBackend")  # password only, no TOTP yet
    response = client.get(f"{BASE}/applications")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_staff_session_with_mfa_works_for_the_same_endpoints(city_a, juminhyo_a):
    one = application(juminhyo_a)
    client = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    assert client.get(f"{BASE}/applications").json()["count"] == 1
    changed = post(client, f"{BASE}/applications/{one.public_id}/status", {"status": "accepted"})
    assert changed.status_code == 200 and changed.json()["status"] == "accepted"
    assert client.get(f"{BASE}/applications", {"assignee": "me"}).json()["count"] == 0


def test_session_without_role_here_is_404_and_without_permission_403(city_a, city_b, juminhyo_a):
    outsider = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert outsider.get(f"{BASE}/applications").status_code == 404
    counter = staff_client(make_staff(city_a, Role.COUNTER_STAFF))
    response = counter.get(f"{BASE}/applications")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_token_of_another_municipality_is_404_everywhere(city_a, city_b, juminhyo_a):
    one = application(juminhyo_a)
    enable_module(city_b, "procedures")
    _token, secret_b = token_for(city_b, WRITE)
    client = api(secret_b)
    paths = [
        f"{BASE}/applications",
        f"{BASE}/applications/{one.public_id}",
        f"{BASE}/procedures/{juminhyo_a.slug}/applications/export",
        f"{BASE}/procedures/{juminhyo_a.slug}/applications/export/pages",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
    assert post(client, f"{BASE}/applications/{one.public_id}/status", {"status": "accepted"}).status_code == 404
    # And city B's own path cannot reach city A's application either.
    assert client.get(f"/api/v1/municipalities/city-b/applications/{one.public_id}").status_code == 404
    one.refresh_from_db()
    assert one.status == SubmissionStatus.SUBMITTED


def test_read_only_token_cannot_change_anything(city_a, juminhyo_a):
    one = application(juminhyo_a)
    _token, secret = token_for(city_a, READ)
    client = api(secret)
    for action, body in [
        ("status", {"status": "accepted"}),
        ("notes", {"text": "メモ"}),
        ("messages", {"text": "連絡"}),
        ("correction", {"fields": ["copies"], "message": "直してください"}),
        ("assignment", {"assignee": None}),
    ]:
        response = post(client, f"{BASE}/applications/{one.public_id}/{action}", body)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden", action
    one.refresh_from_db()
    assert one.status == SubmissionStatus.SUBMITTED
    with scopes_disabled():
        assert not SubmissionEvent.objects.filter(submission=one).exists()


def test_module_switched_off_is_404(city_a, juminhyo_a):
    _token, secret = token_for(city_a, READ)
    enable_module(city_a, "procedures", enabled=False)
    assert api(secret).get(f"{BASE}/applications").status_code == 404


# --- Department scope -------------------------------------------------------------------------------------


def test_department_scope_applies_to_every_endpoint(city_a, juminhyo_a, zeimu_procedure):
    mine = application(juminhyo_a)
    theirs = application(zeimu_procedure)
    _token, secret = token_for(city_a, WRITE, departments=[juminhyo_a.department])
    department_staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department))
    for client in (api(secret), department_staff):
        listing = client.get(f"{BASE}/applications").json()
        assert [i["receipt_number"] for i in listing["items"]] == [mine.receipt_number]
        assert client.get(f"{BASE}/applications/{mine.public_id}").status_code == 200
        assert client.get(f"{BASE}/applications/{theirs.public_id}").status_code == 404
        for action, body in [
            ("status", {"status": "accepted"}),
            ("notes", {"text": "メモ"}),
            ("messages", {"text": "連絡"}),
            ("correction", {"fields": ["copies"], "message": "直して"}),
            ("assignment", {"assignee": None}),
        ]:
            assert post(client, f"{BASE}/applications/{theirs.public_id}/{action}", body).status_code == 404
        other = f"{BASE}/procedures/{zeimu_procedure.slug}/applications/export"
        assert client.get(other).status_code == 404
        assert client.get(other + "/pages").status_code == 404
        listing_other = client.get(f"{BASE}/applications", {"procedure": zeimu_procedure.slug})
        assert listing_other.status_code == 422
    theirs.refresh_from_db()
    assert theirs.status == SubmissionStatus.SUBMITTED
    # Unscoped token: both.
    _t, all_secret = token_for(city_a, READ, name="全課")
    assert api(all_secret).get(f"{BASE}/applications").json()["count"] == 2


# --- One application and the actions -----------------------------------------------------------------------


def test_detail_has_answers_summary_and_history_and_is_audited(city_a, juminhyo_a):
    one = application(juminhyo_a)
    _token, secret = token_for(city_a, WRITE)
    client = api(secret)
    post(client, f"{BASE}/applications/{one.public_id}/status", {"status": "accepted", "text": "受け付けました"})
    detail = client.get(f"{BASE}/applications/{one.public_id}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["answers"]["copies"] == 2 and body["status"] == "accepted"
    labels = {row["label"]: row["value"] for section in body["summary"] for row in section["rows"]}
    assert any("山田" in value for value in labels.values())
    # The token is not a user account: the history names it, for the API and for staff on the web.
    assert [(e["kind"], e["to_status"], e["actor"]) for e in body["history"]] == [("status", "accepted", "API: 基幹系")]
    assert set(body["allowed_statuses"]) == {"in_review", "rejected"}
    view = AuditEvent.objects.get(action="personal_data.view", object_id=one.receipt_number)
    assert view.actor_label == "api-token:基幹系" and "applicant_name" in view.details["fields"]
    change = AuditEvent.objects.get(action="submission.status_changed")
    assert change.actor_label == "api-token:基幹系" and change.details == {"from": "submitted", "to": "accepted"}
    admin = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    page = admin.get(f"/city-a/staff/procedures/inbox/{one.public_id}/").content.decode()
    assert "API: 基幹系" in page


def test_unknown_or_malformed_application_ids_are_404(city_a, juminhyo_a):
    _token, secret = token_for(city_a, WRITE)
    client = api(secret)
    for bad in ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "1", "%27%20OR%201%3D1"]:
        assert client.get(f"{BASE}/applications/{bad}").status_code == 404, bad


def test_status_change_is_idempotent_with_the_key(city_a, juminhyo_a):
    one = application(juminhyo_a)
    _token, secret = token_for(city_a, WRITE)
    client = api(secret)
    path = f"{BASE}/applications/{one.public_id}/status"
    first = post(client, path, {"status": "accepted"}, HTTP_IDEMPOTENCY_KEY="kikan-1")
    replay = post(client, path, {"status": "accepted"}, HTTP_IDEMPOTENCY_KEY="kikan-1")
    assert first.status_code == replay.status_code == 200 and first.json() == replay.json()
    with scopes_disabled():
        assert SubmissionEvent.objects.filter(submission=one, kind="status").count() == 1
    assert AuditEvent.objects.filter(action="submission.status_changed").count() == 1
    reused = post(client, path, {"status": "in_review"}, HTTP_IDEMPOTENCY_KEY="kikan-1")
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    # Without a key the same request is a new request: accepted → accepted is not an allowed edge.
    again = post(client, path, {"status": "accepted"})
    assert again.status_code == 400 and again.json()["error"]["fields"]["status"]


def test_service_refusals_come_back_in_the_error_shape(city_a, juminhyo_a):
    one = application(juminhyo_a)
    _token, secret = token_for(city_a, WRITE)
    client = api(secret)
    rejected = post(client, f"{BASE}/applications/{one.public_id}/status", {"status": "rejected", "text": " "})
    assert rejected.status_code == 400 and "却下の理由" in rejected.json()["error"]["fields"]["text"][0]
    unknown = post(client, f"{BASE}/applications/{one.public_id}/status", {"status": "draft"})
    assert unknown.status_code == 422 and "status" in unknown.json()["error"]["fields"]
    empty_note = post(client, f"{BASE}/applications/{one.public_id}/notes", {"text": ""})
    assert empty_note.status_code == 400 and empty_note.json()["error"]["fields"]["text"]
    control = post(client, f"{BASE}/applications/{one.public_id}/messages", {"text": "a\x07b"})
    assert control.status_code == 422 and control.json()["error"]["fields"]["text"]
    huge = post(client, f"{BASE}/applications/{one.public_id}/notes", {"text": "あ" * 5001})
    assert huge.status_code == 422
    assign = post(client, f"{BASE}/applications/{one.public_id}/assignment", {"assignee": "someone"})
    assert assign.status_code == 422 and assign.json()["error"]["fields"]["assignee"]
    not_json = client.post(f"{BASE}/applications/{one.public_id}/notes", "{", content_type="application/json")
    assert not_json.status_code in (400, 422)
    one.refresh_from_db()
    assert one.status == SubmissionStatus.SUBMITTED


def test_correction_note_message_and_assignment(city_a, juminhyo_a):
    one = application(juminhyo_a)
    colleague = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    _token, secret = token_for(city_a, WRITE)
    client = api(secret)
    base = f"{BASE}/applications/{one.public_id}"
    assert post(client, f"{base}/status", {"status": "accepted"}).status_code == 200
    correction = post(client, f"{base}/correction", {"fields": ["copies", "nope"], "message": "部数を直してください"})
    assert correction.status_code == 200 and correction.json()["status"] == "correction_requested"
    assert post(client, f"{base}/notes", {"text": "電話で確認済み"}).status_code == 200
    assert post(client, f"{base}/messages", {"text": "書類を受け取りました"}).status_code == 200
    staff_ids = {s["email"]: s["id"] for s in client.get(base).json()["assignable_staff"]}
    assigned = post(client, f"{base}/assignment", {"assignee": staff_ids[colleague.email]})
    assert assigned.status_code == 200 and assigned.json()["assignee"] == colleague.email
    one.refresh_from_db()
    assert one.correction_fields == ["copies"] and one.assignee == colleague
    kinds = list(client.get(base).json()["history"])
    assert [e["kind"] for e in kinds] == ["status", "status", "note", "message_to_applicant", "assignment"]
    actions = set(AuditEvent.objects.filter(actor_label="api-token:基幹系").values_list("action", flat=True))
    assert {"submission.correction_requested", "submission.note_added", "submission.message_sent"} <= actions
    assert {"submission.assigned"} <= actions


# --- Export ----------------------------------------------------------------------------------------------


def _csv(response) -> tuple[str, list[list[str]]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    return content, list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def _json(response):
    return json.loads(b"".join(response.streaming_content).decode("utf-8"))


def test_export_csv_and_json_with_inclusive_date_range(city_a, juminhyo_a):
    _token, secret = token_for(city_a, READ)
    before = application(juminhyo_a, submitted_at=datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=JST))
    start = application(juminhyo_a, submitted_at=datetime.datetime(2026, 4, 1, 0, 0, tzinfo=JST))
    end = application(juminhyo_a, submitted_at=datetime.datetime(2026, 4, 30, 23, 59, 59, tzinfo=JST))
    after = application(juminhyo_a, submitted_at=datetime.datetime(2026, 5, 1, 0, 0, tzinfo=JST))
    client = api(secret)
    path = f"{BASE}/procedures/{juminhyo_a.slug}/applications/export"
    dates = {"submitted_from": "2026-04-01", "submitted_to": "2026-04-30"}
    response = client.get(path, {**dates, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('.csv"')
    content, rows = _csv(response)
    assert content.startswith("\ufeff")
    assert [row[0] for row in rows[1:]] == [start.receipt_number, end.receipt_number]
    data = _json(client.get(path, {**dates, "format": "json"}))
    assert [item["receipt_number"] for item in data] == [start.receipt_number, end.receipt_number]
    assert before.receipt_number not in content and after.receipt_number not in content
    item = data[0]
    assert item["fee_total"] == 600 and item["copies"] == 2 and item["applicant_name.family_name"] == "山田"
    assert item["submitted_at"] == "2026-04-01T00:00:00+09:00" and item["assignee"] is None
    assert "declaration" not in item  # consent: no column
    exported = AuditEvent.objects.filter(action="submission.exported", actor_label="api-token:基幹系")
    assert [(e.details["format"], e.details["count"]) for e in exported.order_by("id")] == [("csv", 2), ("json", 2)]


def test_json_keeps_answer_types_and_csv_neutralises_formulas(city_a, juminhyo_a):
    _token, secret = token_for(city_a, READ)
    hostile = {
        **ANSWERS,
        "purpose": "other",
        "purpose_detail": '=HYPERLINK("http://evil")',
        "copies": 3,
        "declaration": True,
        "applicant_name": {**ANSWERS["applicant_name"], "family_name": "@SUM(A1)", "given_name": "-1+2"},
    }
    application(juminhyo_a, answers=hostile)
    path = f"{BASE}/procedures/{juminhyo_a.slug}/applications/export"
    client = api(secret)
    _content, rows = _csv(client.get(path))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["purpose_detail"] == '\'=HYPERLINK("http://evil")'
    assert record["applicant_name.family_name"] == "'@SUM(A1)" and record["applicant_name.given_name"] == "'-1+2"
    item = _json(client.get(path, {"format": "json"}))[0]
    assert item["purpose_detail"] == '=HYPERLINK("http://evil")'  # JSON is data, not a spreadsheet: unchanged
    assert item["copies"] == 3 and isinstance(item["copies"], int)
    assert item["applicant_phone"] == "09012345678"  # a phone number stays a string (leading zero kept)
    bad_format = client.get(path, {"format": "xml"})
    assert bad_format.status_code == 422 and "format" in bad_format.json()["error"]["fields"]


def test_configured_columns_and_order_apply_to_every_export(city_a, juminhyo_a):
    application(juminhyo_a)
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    with municipality_scope(city_a):
        from madoguchi.procedures.services import procedure_set_export_columns

        procedure_set_export_columns(
            procedure=juminhyo_a,
            actor=admin,
            columns=["applicant_name.family_name", "receipt_number", "fee_total"],
            request=None,
        )
    _token, secret = token_for(city_a, READ)
    client = api(secret)
    path = f"{BASE}/procedures/{juminhyo_a.slug}/applications/export"
    _content, rows = _csv(client.get(path))
    assert rows[0] == ["applicant_name.family_name", "receipt_number", "fee_total"]
    assert rows[1][0] == "山田" and rows[1][2] == "600"
    item = _json(client.get(path, {"format": "json"}))[0]
    assert list(item) == ["applicant_name.family_name", "receipt_number", "fee_total"]
    page = client.get(path + "/pages").json()
    assert page["columns"] == ["applicant_name.family_name", "receipt_number", "fee_total"]
    assert list(page["items"][0]) == page["columns"]


def test_keyset_pages_cover_everything_once_while_applications_arrive(city_a, juminhyo_a):
    same_moment = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=JST)
    created = [application(juminhyo_a, submitted_at=same_moment if i < 5 else None) for i in range(12)]
    _token, secret = token_for(city_a, READ)
    client = api(secret)
    path = f"{BASE}/procedures/{juminhyo_a.slug}/applications/export/pages"
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        response = client.get(path, {"limit": 5, "cursor": cursor})
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["receipt_number"] for item in body["items"]]
        pages += 1
        if pages == 1:
            # A new application while the core system is paging: it comes at the end, nothing shifts.
            created.append(application(juminhyo_a))
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == [s.receipt_number for s in created] and len(set(seen)) == 13 and pages == 3
    exports = AuditEvent.objects.filter(action="submission.exported", details__format="json-page")
    assert sorted(e.details["count"] for e in exports) == [3, 5, 5]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "eyJwIjoxfQ:forged", "x" * 3000, "\x00", '{"p": 1, "t": "2026-01-01", "i": 1}'],
)
def test_malformed_cursor_is_422(city_a, juminhyo_a, cursor):
    application(juminhyo_a)
    _token, secret = token_for(city_a, READ)
    response = api(secret).get(f"{BASE}/procedures/{juminhyo_a.slug}/applications/export/pages", {"cursor": cursor})
    assert response.status_code == 422 and "cursor" in response.json()["error"]["fields"]


def test_cursor_of_another_procedure_is_refused(city_a, juminhyo_a, zeimu_procedure):
    for _ in range(2):
        application(juminhyo_a)
    _token, secret = token_for(city_a, READ)
    client = api(secret)
    first = client.get(f"{BASE}/procedures/{juminhyo_a.slug}/applications/export/pages", {"limit": 1}).json()
    other = client.get(
        f"{BASE}/procedures/{zeimu_procedure.slug}/applications/export/pages", {"cursor": first["next_cursor"]}
    )
    assert other.status_code == 422 and "cursor" in other.json()["error"]["fields"]
    too_big = client.get(f"{BASE}/procedures/{juminhyo_a.slug}/applications/export/pages", {"limit": 1001})
    assert too_big.status_code == 422 and "limit" in too_big.json()["error"]["fields"]


def test_streamed_export_uses_constant_queries_and_bounded_memory(city_a, juminhyo_a, monkeypatch):
    """5,000 rows cost the same number of queries as 10, and twice the rows do not need twice the memory: at
    most two fetched chunks are alive at a time (chunks of 500 here, so both sizes span several)."""
    import tracemalloc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from madoguchi.procedures import export

    first = application(juminhyo_a)
    applicant = make_user()
    with scopes_disabled():
        base = {
            "municipality": city_a,
            "procedure": juminhyo_a,
            "form_version": first.form_version,
            "department": juminhyo_a.department,
            "applicant": applicant,
            "status": SubmissionStatus.SUBMITTED,
            "answers": ANSWERS,
            "fee_total": 600,
            "submitted_at": timezone.now(),
        }
    monkeypatch.setattr(export, "CHUNK_SIZE", 500)
    _token, secret = token_for(city_a, READ)
    client = api(secret)
    path = f"{BASE}/procedures/{juminhyo_a.slug}/applications/export"

    def consume(fmt: str) -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, {"format": fmt})
            tracemalloc.start()
            size = sum(len(chunk) for chunk in response.streaming_content)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return len(queries.captured_queries), peak, size

    def add(count: int) -> None:
        with scopes_disabled():
            offset = Submission.objects.count()
            Submission.objects.bulk_create(
                [Submission(**base, receipt_number=f"HK-R8-9{offset + i:05d}") for i in range(count)],
                batch_size=500,
            )

    add(9)
    consume("csv")  # the token's first use of the minute also records last_used_at: not part of the export
    small_csv, _peak, _size = consume("csv")
    small_json, _peak, _size = consume("json")
    add(2491)
    _q, half_csv_peak, half_size = consume("csv")
    _q, half_json_peak, _size = consume("json")
    add(2500)
    large_csv, csv_peak, csv_size = consume("csv")
    large_json, json_peak, _size = consume("json")
    assert large_csv == small_csv and large_json == small_json
    assert csv_size > 1.9 * half_size  # twice the rows really were exported
    assert csv_peak < 1.5 * half_csv_peak and json_peak < 1.5 * half_json_peak
