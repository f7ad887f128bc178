"""The procedure catalogue: presets, partial-word search, browsing, procedure pages, staff maintenance."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.models import Fee, Procedure
from madoguchi.procedures.presets import PRESETS
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published

from ..factories import enable_module, make_department, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["住民票", "じゅうみんひょう", "ジュウミンヒョウ", "ｼﾞｭｳﾐﾝ", "写し 交付", "certificate of residence", "RESIDENCE"],
)
def test_partial_words_in_any_script_find_the_procedure(client, juminhyo_a, query):
    response = client.get("/city-a/procedures/", {"q": query})
    assert response.status_code == 200
    assert "住民票の写し等交付申請" in response.content.decode()


def test_search_without_a_match_says_so_and_keeps_the_query(client, juminhyo_a):
    body = client.get("/city-a/procedures/", {"q": "存在しない手続"}).content.decode()
    assert "見つかりませんでした" in body and 'value="存在しない手続"' in body


def test_unpublished_procedures_are_invisible(client, city_a, shimin_a):
    with municipality_scope(city_a):
        draft = procedure_preset_enable(municipality=city_a, actor=None, key="juminhyo", request=None)
    assert "住民票の写し" not in client.get("/city-a/procedures/", {"q": "住民票"}).content.decode()
    assert client.get(f"/city-a/procedures/{draft.slug}/").status_code == 404


def test_browse_by_category_and_life_event(client, juminhyo_a):
    assert "住民票の写し" in client.get("/city-a/procedures/", {"category": "certificates"}).content.decode()
    assert "住民票の写し" not in client.get("/city-a/procedures/", {"category": "childcare"}).content.decode()
    assert "住民票の写し" in client.get("/city-a/procedures/", {"life_event": "moving"}).content.decode()
    assert "住民票の写し" not in client.get("/city-a/procedures/", {"life_event": "death"}).content.decode()
    bad = client.get("/city-a/procedures/", {"category": "<script>"})
    assert bad.status_code == 400 and "&lt;script&gt;" in bad.content.decode()


def test_procedure_page_says_what_to_prepare_cost_and_time(client, juminhyo_a):
    body = client.get(f"/city-a/procedures/{juminhyo_a.slug}/").content.decode()
    for expected in (
        "用意するもの",
        "委任状",
        "300円",
        "3日",
        "市民課",
        "住民基本台帳法第12条",
        "マイナンバーカードで本人確認",
    ):
        assert expected in body, expected
    english = client.get(f"/city-a/procedures/{juminhyo_a.slug}/?lang=en").content.decode()
    assert "Request for a certificate of residence" in english and "Citizens Division" in english


def test_enabling_a_preset_is_idempotent_and_keeps_the_municipalitys_fee(city_a, shimin_a):
    with municipality_scope(city_a):
        Fee.objects.create(municipality=city_a, code="juminhyo", name="住民票の写し", amount=200)
        first = procedure_preset_enable(municipality=city_a, actor=None, key="juminhyo", request=None)
        second = procedure_preset_enable(municipality=city_a, actor=None, key="juminhyo", request=None)
        assert first.pk == second.pk
        assert Procedure.objects.filter(municipality=city_a).count() == 1
        assert [fee.amount for fee in first.fees.all()] == [200]


def test_every_preset_can_be_enabled(city_a):
    enable_module(city_a, "procedures")
    slugs = {preset.department for preset in PRESETS}
    for slug in slugs:
        make_department(city_a, slug=slug, name=f"{slug}課")
    with municipality_scope(city_a):
        for preset in PRESETS:
            procedure = procedure_preset_enable(municipality=city_a, actor=None, key=preset.key, request=None)
            assert procedure.name == preset.name
        assert Procedure.objects.filter(municipality=city_a).count() == len(PRESETS)


def test_staff_enable_edit_and_publish(city_a, shimin_a):
    admin = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    response = admin.post("/city-a/staff/procedures/presets/", {"preset": "juminhyo"})
    assert response.status_code == 302
    with scopes_disabled():
        procedure = Procedure.objects.get(municipality=city_a, preset_key="juminhyo")
    assert not procedure.is_published
    edit = admin.post(
        f"/city-a/staff/procedures/{procedure.public_id}/",
        {
            "name": "住民票の写しの請求",
            "name_kana": "じゅうみんひょうのうつしのせいきゅう",
            "summary": "概要",
            "category": "certificates",
            "department": shimin_a.pk,
            "applicants": ["self", "agent"],
            "identity_level": "my_number_card",
            "channel": "both",
            "processing_days": "2",
            "life_events": ["moving", "marriage"],
        },
    )
    assert edit.status_code == 302
    admin.post(f"/city-a/staff/procedures/{procedure.public_id}/publish/", {"publish": "1"})
    with scopes_disabled():
        procedure.refresh_from_db()
        assert procedure.is_published and procedure.name == "住民票の写しの請求"
        assert set(procedure.life_event_links.values_list("event", flat=True)) == {"moving", "marriage"}
    actions = set(AuditEvent.objects.filter(object_id=str(procedure.public_id)).values_list("action", flat=True))
    assert actions == {"procedure.preset_enabled", "procedure.updated", "procedure.published"}


def test_catalogue_edit_errors_are_specific_and_keep_input(city_a, juminhyo_a, shimin_a):
    admin = staff_client(make_staff(city_a, Role.MUNICIPALITY_ADMIN))
    response = admin.post(
        f"/city-a/staff/procedures/{juminhyo_a.public_id}/",
        {"name": "", "name_kana": "よみ", "summary": "概要", "category": "nope", "processing_days": "400"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "手続名を入力してください" in body and "標準処理日数は365日以内にしてください" in body
    assert "担当課を選んでください" in body and "申請できる方を1つ以上選んでください" in body
    assert 'value="よみ"' in body


def test_department_staff_see_and_edit_only_their_departments_procedures(city_a, juminhyo_a, shimin_a):
    other = make_department(city_a, slug="zeimu", name="税務課")
    staff = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=other))
    assert "住民票の写し" not in staff.get("/city-a/staff/procedures/").content.decode()
    assert staff.get(f"/city-a/staff/procedures/{juminhyo_a.public_id}/").status_code == 404
    assert staff.post(f"/city-a/staff/procedures/{juminhyo_a.public_id}/publish/", {"publish": "0"}).status_code == 404


def test_other_municipalities_procedures_are_invisible(client, city_b, juminhyo_a):
    enable_module(city_b, "procedures")
    assert client.get(f"/city-b/procedures/{juminhyo_a.slug}/").status_code == 404
    assert "住民票の写し" not in client.get("/city-b/procedures/", {"q": "住民票"}).content.decode()
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    assert admin_b.get(f"/city-b/staff/procedures/{juminhyo_a.public_id}/").status_code == 404


def test_module_switched_off_hides_the_catalogue(client, juminhyo_a, city_a):
    enable_module(city_a, "procedures", False)
    assert client.get("/city-a/procedures/").status_code == 404


def test_search_query_count_is_fixed(client, city_a, shimin_a):
    enable_module(city_a, "procedures")
    make_department(city_a, slug="kosodate", name="子育て支援課")
    with municipality_scope(city_a):
        for preset in PRESETS[:1]:
            procedure_set_published(
                procedure=procedure_preset_enable(municipality=city_a, actor=None, key=preset.key, request=None),
                actor=None,
                published=True,
                request=None,
            )
    client.get("/city-a/procedures/", {"category": "certificates"})
    with CaptureQueriesContext(connection) as few:
        client.get("/city-a/procedures/", {"q": "の"})
    with municipality_scope(city_a):
        for slug in {preset.department for preset in PRESETS} - {"shimin", "kosodate"}:
            make_department(city_a, slug=slug, name=f"{slug}課")
        for preset in PRESETS[1:]:
            procedure = procedure_preset_enable(municipality=city_a, actor=None, key=preset.key, request=None)
            procedure_set_published(procedure=procedure, actor=None, published=True, request=None)
    with CaptureQueriesContext(connection) as many:
        client.get("/city-a/procedures/", {"q": "の"})
    assert len(many.captured_queries) == len(few.captured_queries)
