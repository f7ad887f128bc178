"""Staff screens: permission matrix (opendata.manage), 課 scoping, create/edit, upload with the report by row
and column, publish refused for a non-conforming standard dataset unless explicitly non-conforming."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.accounts.permissions import ROLE_PERMISSIONS, Perm
from madoguchi.audit.models import AuditEvent
from madoguchi.opendata.models import Dataset

from ..factories import make_department, make_staff, staff_client

pytestmark = pytest.mark.django_db

BROKEN = (
    "全国地方公共団体コード,名称,所在地_連結表記,設置位置,緯度,経度,利用開始時間\r\n"
    "{short},駅前トイレ,甲市1,屋外,137.4093,36.8272,9:00\r\n"
    "{code},,甲市2,屋外,36.8,137.4,朝\r\n"
)


def test_permission_matrix():
    assert Perm.OPENDATA_MANAGE in ROLE_PERMISSIONS[Role.MUNICIPALITY_ADMIN]
    assert Perm.OPENDATA_MANAGE in ROLE_PERMISSIONS[Role.DEPARTMENT_STAFF]
    assert Perm.OPENDATA_MANAGE not in ROLE_PERMISSIONS[Role.COUNTER_STAFF]
    assert Perm.OPENDATA_MANAGE not in ROLE_PERMISSIONS[Role.AUDITOR]


def test_access(client, city_a, city_b, catalogue_a):
    assert client.get("/city-a/staff/opendata/").status_code == 302  # sign-in
    counter = staff_client(make_staff(city_a, Role.COUNTER_STAFF))
    assert counter.get("/city-a/staff/opendata/").status_code == 403
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert admin_b.get("/city-a/staff/opendata/").status_code == 404
    admin = staff_client(make_staff(city_a))
    html = admin.get("/city-a/staff/opendata/").content.decode()
    assert "公衆トイレ一覧" in html and "下書きのデータ" in html


def test_department_staff_see_and_change_only_their_own(city_a, bosai_a, catalogue_a):
    other = make_department(city_a, slug="kankyo", name="環境課")
    staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=other))
    html = staff.get("/city-a/staff/opendata/").content.decode()
    assert "公衆トイレ一覧" not in html
    toilets = catalogue_a["toilets"]
    assert staff.get(f"/city-a/staff/opendata/{toilets.public_id}/").status_code == 404
    assert staff.post(f"/city-a/staff/opendata/{toilets.public_id}/unpublish/").status_code == 404
    response = staff.post(
        "/city-a/staff/opendata/new/",
        {
            "name": "mine",
            "title": "環境データ",
            "notes": "説明",
            "department": bosai_a.pk,
            "license_id": "cc-by-4.0",
            "frequency": "yearly",
        },
    )
    assert response.status_code == 200 and "department" in response.context["form"].errors


def test_other_municipality_dataset_is_404_for_admin(city_a, city_b, catalogue_b):
    admin = staff_client(make_staff(city_a))
    assert admin.get(f"/city-a/staff/opendata/{catalogue_b.public_id}/").status_code == 404
    assert admin.post(f"/city-a/staff/opendata/{catalogue_b.public_id}/publish/").status_code == 404


def test_create_validation_keeps_input(city_a, bosai_a):
    admin = staff_client(make_staff(city_a))
    data = {
        "name": "Bad Name!",
        "title": "タイトル",
        "notes": "説明",
        "license_id": "cc-by-4.0",
        "frequency": "yearly",
        "tags": "避難、防災",
    }
    response = admin.post("/city-a/staff/opendata/new/", data)
    html = response.content.decode()
    assert "英小文字・数字" in html and 'value="Bad Name!"' in html and "避難、防災" in html


def test_upload_reports_every_problem_then_publish_rules(city_a, bosai_a):
    admin = staff_client(make_staff(city_a))
    response = admin.post(
        "/city-a/staff/opendata/new/",
        {
            "name": "toilets",
            "title": "公衆トイレ一覧",
            "notes": "説明",
            "department": bosai_a.pk,
            "license_id": "cc-by-4.0",
            "frequency": "yearly",
            "standard_number": "13",
            "tags": "トイレ",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        dataset = Dataset.objects.get(name="toilets")
    assert dataset.tags == ["トイレ"]
    text = BROKEN.format(
        short=city_a.code.lstrip("0") if city_a.code.startswith("0") else city_a.code, code=city_a.code
    )
    upload = SimpleUploadedFile("toilets.csv", text.encode("cp932"), content_type="text/csv")
    response = admin.post(f"/city-a/staff/opendata/{dataset.public_id}/upload/", {"file": upload})
    html = response.content.decode()
    assert "Shift_JIS (cp932)" in html
    assert "緯度と経度が入れ替わっていたため、入れ替えました。" in html
    assert "必須の項目が空です。" in html and "時刻は hh:mm の形で入力してください" in html
    assert "<td>3</td><td>名称</td>" in html and "<td>3</td><td>利用開始時間</td>" in html
    refused = admin.post(f"/city-a/staff/opendata/{dataset.public_id}/publish/", {})
    assert refused.status_code == 409
    assert "標準に適合しない箇所が2件あります" in refused.content.decode()
    dataset.refresh_from_db()
    assert dataset.published_at is None
    allowed = admin.post(f"/city-a/staff/opendata/{dataset.public_id}/publish/", {"nonconforming": "on"})
    assert allowed.status_code == 302
    dataset.refresh_from_db()
    assert dataset.published_at is not None and dataset.nonconforming_published
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="opendata.dataset_published").get()
        assert event.details["nonconforming"] is True
        assert AuditEvent.objects.filter(action="opendata.resource_uploaded").count() == 1
    assert admin.post(f"/city-a/staff/opendata/{dataset.public_id}/unpublish/").status_code == 302
    dataset.refresh_from_db()
    assert dataset.published_at is None


def test_hostile_uploads(city_a, bosai_a, catalogue_a):
    admin = staff_client(make_staff(city_a))
    dataset = catalogue_a["draft"]
    for name, content, expected in [
        ("a.exe", b"MZ", "CSV・XLSX・JSON・GeoJSON・PDF"),
        ("a.pdf", b"not a pdf", "PDF ファイルではありません"),
        ("a.csv", b"\x00\xff\xfe garbage \x81\x00", "文字コードを判別できませんでした"),
        ("b.csv", b"a,b\x00c\r\n1,2\r\n", "CSV ファイルとして読めませんでした"),
        ("a.json", b"{oops", "JSON として読めませんでした"),
        ("a.xlsx", b"PK\x03\x04broken", "XLSX ファイルとして読めませんでした"),
    ]:
        response = admin.post(
            f"/city-a/staff/opendata/{dataset.public_id}/upload/", {"file": SimpleUploadedFile(name, content)}
        )
        assert response.status_code == 400, name
        assert expected in response.content.decode(), name
    with scopes_disabled():
        assert dataset.resources.count() == 0
    response = admin.post(
        f"/city-a/staff/opendata/{dataset.public_id}/link/", {"name": "x", "url": "javascript:alert(1)"}
    )
    assert response.status_code == 400


def test_link_and_delete_resource(city_a, bosai_a, catalogue_a):
    admin = staff_client(make_staff(city_a))
    dataset = catalogue_a["draft"]
    response = admin.post(
        f"/city-a/staff/opendata/{dataset.public_id}/link/", {"name": "市のページ", "url": "https://example.jp/x"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        resource = dataset.resources.get()
    assert resource.format == "URL"
    response = admin.post(f"/city-a/staff/opendata/{dataset.public_id}/resources/{resource.public_id}/delete/")
    assert response.status_code == 302
    with scopes_disabled():
        assert dataset.resources.count() == 0
