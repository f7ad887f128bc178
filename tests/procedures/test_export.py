"""The export for core systems in the back office: columns chosen and ordered per procedure, CSV or JSON from
the inbox with a date range, audited."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.procedures.models import Procedure

from ..factories import make_department, make_staff, staff_client
from .test_staff_api import JST, application

pytestmark = pytest.mark.django_db


def _columns_url(procedure) -> str:
    return f"/city-a/staff/procedures/{procedure.public_id}/export-columns/"


def _positions(response) -> dict[str, str]:
    """Column key → its form field name, read from the form the page rendered."""
    form = response.context["form"]
    return {key: name for name, key in form.position_names}


def test_staff_choose_and_order_the_columns(city_a, juminhyo_a):
    application(juminhyo_a)
    staff = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    client = staff_client(staff)
    page = client.get(_columns_url(juminhyo_a))
    assert page.status_code == 200
    body = page.content.decode()
    # Standard columns and the form's answers, expanded into parts with readable labels.
    assert "受付番号" in body and "手数料" in body and "担当者" in body and "（姓）" in body
    names = _positions(page)
    response = client.post(
        _columns_url(juminhyo_a),
        {names["applicant_name.family_name"]: "1", names["receipt_number"]: "2", names["submitted_at"]: "3"},
    )
    assert response.status_code == 302
    juminhyo_a.refresh_from_db()
    assert juminhyo_a.export_columns == ["applicant_name.family_name", "receipt_number", "submitted_at"]
    event = AuditEvent.objects.get(action="procedure.export_columns_set")
    assert event.actor == staff and event.details["after"] == juminhyo_a.export_columns

    export = client.get("/city-a/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0] == ["applicant_name.family_name", "receipt_number", "submitted_at"] and rows[1][0] == "山田"

    reset = client.post(_columns_url(juminhyo_a), {"reset": "1"})
    assert reset.status_code == 302
    juminhyo_a.refresh_from_db()
    assert juminhyo_a.export_columns == []


def test_column_mistakes_are_shown_at_the_field_with_the_input_kept(city_a, juminhyo_a):
    client = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    names = _positions(client.get(_columns_url(juminhyo_a)))
    duplicate = client.post(_columns_url(juminhyo_a), {names["receipt_number"]: "1", names["status"]: "1"})
    assert duplicate.status_code == 400
    body = duplicate.content.decode()
    assert "1番は「受付番号」にも付いています" in body and 'aria-invalid="true"' in body
    assert f'href="#id_{names["status"]}"' in body  # the error summary links to the field
    for value, message in [("abc", "数字で"), ("0", "1以上"), ("9999", "以下にしてください"), ("-1", "1以上")]:
        response = client.post(_columns_url(juminhyo_a), {names["receipt_number"]: value})
        assert response.status_code == 400 and message in response.content.decode(), value
        assert f'value="{value}"' in response.content.decode()
    juminhyo_a.refresh_from_db()
    assert juminhyo_a.export_columns == []


def test_columns_page_of_another_department_or_municipality_is_404(city_a, city_b, juminhyo_a):
    other = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a, slug="zei")))
    assert other.get(_columns_url(juminhyo_a)).status_code == 404
    assert other.post(_columns_url(juminhyo_a), {"col_0": "1"}).status_code == 404
    from ..factories import enable_module

    enable_module(city_b, "procedures")
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert admin_b.get(f"/city-b/staff/procedures/{juminhyo_a.public_id}/export-columns/").status_code == 404
    with scopes_disabled():
        assert Procedure.objects.get(pk=juminhyo_a.pk).export_columns == []


def test_the_service_refuses_columns_the_procedure_does_not_have(city_a, juminhyo_a):
    from madoguchi.core.errors import ServiceError
    from madoguchi.core.tenancy import municipality_scope
    from madoguchi.procedures.services import procedure_set_export_columns

    with municipality_scope(city_a), pytest.raises(ServiceError) as refused:
        procedure_set_export_columns(
            procedure=juminhyo_a, actor=None, columns=["receipt_number", "password"], request=None
        )
    assert refused.value.code == "columns_invalid"
    with municipality_scope(city_a), pytest.raises(ServiceError) as duplicated:
        procedure_set_export_columns(
            procedure=juminhyo_a, actor=None, columns=["receipt_number", "receipt_number"], request=None
        )
    assert duplicated.value.code == "columns_duplicate"


def test_inbox_exports_json_with_a_date_range_and_audits_it(city_a, juminhyo_a):
    inside = application(juminhyo_a, submitted_at=datetime.datetime(2026, 4, 10, 12, 0, tzinfo=JST))
    application(juminhyo_a, submitted_at=datetime.datetime(2026, 4, 11, 0, 0, tzinfo=JST))
    staff = make_staff(city_a, Role.DEPARTMENT_STAFF, department=juminhyo_a.department)
    client = staff_client(staff)
    inbox = client.get("/city-a/staff/procedures/inbox/").content.decode()
    assert 'name="format"' in inbox and "JSON" in inbox
    response = client.get(
        "/city-a/staff/procedures/inbox/export.csv",
        {"procedure": juminhyo_a.pk, "format": "json", "date_from": "令和8年4月10日", "date_to": "2026-04-10"},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(b"".join(response.streaming_content).decode("utf-8"))
    assert [item["receipt_number"] for item in data] == [inside.receipt_number]
    assert data[0]["fee_total"] == 600 and data[0]["copies"] == 2
    event = AuditEvent.objects.get(action="submission.exported")
    assert event.actor == staff and event.details["count"] == 1 and event.details["format"] == "json"
    bad = client.get("/city-a/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk, "format": "xlsx"})
    assert bad.status_code == 400 and "CSVかJSONを選んでください" in bad.content.decode()


def test_an_empty_export_is_still_a_valid_file(city_a, juminhyo_a):
    client = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    as_json = client.get("/city-a/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk, "format": "json"})
    assert json.loads(b"".join(as_json.streaming_content)) == []
    as_csv = client.get("/city-a/staff/procedures/inbox/export.csv", {"procedure": juminhyo_a.pk})
    content = b"".join(as_csv.streaming_content).decode("utf-8")
    assert content.startswith("\ufeffreceipt_number,status,submitted_at") and content.count("\n") == 1
