"""The form builder screens: permissions, every editor through HTTP, hostile imports, preview, and the issue's
"Done when" journey — a staff member builds a two-page form with a condition and a fee without code, previews
it, publishes it, and a resident applies through it."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role
from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import builder
from madoguchi.procedures.engine.definition import validate_definition
from madoguchi.procedures.models import FormVersion, IdentityLevel, Procedure, Submission, SubmissionStatus

from ..factories import enable_module, make_department, make_staff, make_user, staff_client

pytestmark = pytest.mark.django_db


def _base(procedure):
    return f"/city-a/staff/procedures/{procedure.public_id}/form/"


def _revision(procedure):
    with scopes_disabled():
        return builder.revision_of(FormVersion.objects.get(procedure=procedure, status="draft").definition)


def _draft_definition(procedure):
    with scopes_disabled():
        return FormVersion.objects.get(procedure=procedure, status="draft").definition


@pytest.fixture
def clerk(city_a, shimin_a):
    """A member of 市民課, the 課 of 住民票."""
    return staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=shimin_a))


@pytest.fixture
def with_draft(city_a, juminhyo_a):
    with municipality_scope(city_a):
        builder.form_draft_create(procedure=juminhyo_a, actor=None, source="blank", request=None)
    return juminhyo_a


def test_the_staff_page_links_to_the_builder(clerk, juminhyo_a):
    page = clerk.get(f"/city-a/staff/procedures/{juminhyo_a.public_id}/").content.decode()
    assert f'href="{_base(juminhyo_a)}"' in page


def test_other_roles_get_403_other_departments_and_municipalities_404(city_a, city_b, juminhyo_a, with_draft):
    urls = [
        "",
        "history/",
        "import/",
        "add-page/",
        "pages/page1/",
        "fields/applicant_name/",
        "add-fee/",
        "conditions/field/applicant_name/",
        "publish/",
        "discard/",
        "versions/1/export.json",
        "preview/check/",
    ]
    counter = staff_client(make_staff(city_a, Role.COUNTER_STAFF))
    other_ka = staff_client(make_staff(city_a, Role.DEPARTMENT_STAFF, department=make_department(city_a)))
    enable_module(city_b, "procedures")
    admin_b = staff_client(make_staff(city_b, Role.MUNICIPALITY_ADMIN))
    for url in urls:
        assert counter.get(_base(juminhyo_a) + url).status_code == 403, url
        assert other_ka.get(_base(juminhyo_a) + url).status_code == 404, url
        assert admin_b.get(_base(juminhyo_a).replace("city-a", "city-b") + url).status_code == 404, url
    revision = _revision(juminhyo_a)
    for url in ("publish/", "discard/", "pages/page1/delete/", "fields/applicant_name/up/"):
        assert other_ka.post(_base(juminhyo_a) + url, {"revision": revision}).status_code == 404, url
        assert (
            admin_b.post(_base(juminhyo_a).replace("city-a", "city-b") + url, {"revision": revision}).status_code == 404
        )
    with scopes_disabled():
        assert FormVersion.objects.get(procedure=juminhyo_a).status == "draft"
        assert len(_draft_definition(juminhyo_a)["pages"]) == 1


def test_unknown_pages_fields_and_versions_are_404(clerk, with_draft):
    base = _base(with_draft)
    for url in (
        "pages/nope/",
        "fields/nope/",
        "fields/applicant_name.nope/",
        "conditions/page/nope/",
        "conditions/other/x/",
        "fees/0/",
        "versions/99/export.json",
        "pages/page1/fields/add/?type=bogus",
    ):
        status = clerk.get(base + url).status_code
        assert status in (400, 404), (url, status)
    assert clerk.get(base + "pages/page1/fields/add/?type=bogus").status_code == 400  # the chooser, with an error
    assert clerk.post(base + "pages/page1/explode/", {"revision": _revision(with_draft)}).status_code == 404


def test_field_editor_shows_the_inputs_of_its_type(clerk, with_draft):
    base = _base(with_draft)
    chooser = clerk.get(base + "pages/page1/fields/add/").content.decode()
    assert chooser.count('name="type"') == 13
    number = clerk.get(base + "pages/page1/fields/add/?type=number").content.decode()
    assert 'name="decimal_places"' in number and 'name="unit_ja"' in number and 'name="options"' not in number
    choice = clerk.get(base + "pages/page1/fields/add/?type=single_choice").content.decode()
    assert 'name="options"' in choice and 'name="decimal_places"' not in choice
    group = clerk.get(base + "pages/page1/fields/add/?type=repeated_group").content.decode()
    assert 'name="max_items"' in group and 'name="member_id"' in group
    consent = clerk.get(base + "pages/page1/fields/add/?type=consent").content.decode()
    assert 'name="declaration_ja"' in consent and 'name="required"' not in consent
    member = clerk.get(base + "fields/applicant_name/").content.decode()
    assert 'name="kana"' in member and 'value="claims.name"' in member


def test_bad_input_gets_a_message_at_the_field_and_keeps_what_was_typed(clerk, with_draft):
    base = _base(with_draft)
    response = clerk.post(
        base + "pages/page1/fields/add/",
        {
            "revision": _revision(with_draft),
            "type": "single_choice",
            "id": "Bad Id",
            "label_ja": "受け取り方法",
            "options": "post|郵送\nこわれた行",
            "required": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "2行目" in body and 'value="受け取り方法"' in body and "こわれた行" in body
    duplicate = clerk.post(
        base + "pages/page1/fields/add/",
        {
            "revision": _revision(with_draft),
            "type": "short_text",
            "id": "applicant_name",
            "label_ja": "重複",
        },
    )
    assert "この項目IDはすでに使われています" in duplicate.content.decode()
    invalid = clerk.post(
        base + "pages/page1/fields/add/",
        {
            "revision": _revision(with_draft),
            "type": "short_text",
            "id": "way",
            "label_ja": "x",
            "max_length": "5000",
        },
    )
    assert invalid.status_code == 400 and 'id="id_max_length_error"' in invalid.content.decode()
    assert len(_draft_definition(with_draft)["pages"][0]["fields"]) == 1


def test_a_stale_form_is_refused_with_a_clear_message(clerk, with_draft):
    base = _base(with_draft)
    seen = _revision(with_draft)
    clerk.post(base + "pages/page1/", {"revision": seen, "id": "page1", "title_ja": "同僚の見出し"})
    mine = clerk.post(base + "pages/page1/", {"revision": seen, "id": "page1", "title_ja": "私の見出し"})
    assert mine.status_code == 400 and "ほかの職員がこの下書きを変更しました" in mine.content.decode()
    assert _draft_definition(with_draft)["pages"][0]["title"] == {"ja": "同僚の見出し"}
    moved = clerk.post(base + "fields/applicant_name/delete/", {"revision": seen}, follow=True)
    assert "ほかの職員がこの下書きを変更しました" in moved.content.decode()


def test_script_in_labels_is_rendered_escaped(clerk, with_draft):
    base = _base(with_draft)
    label = '<script>alert("x")</script>'
    clerk.post(
        base + "fields/applicant_name/",
        {
            "revision": _revision(with_draft),
            "type": "name",
            "id": "applicant_name",
            "label_ja": label,
            "required": "on",
        },
    )
    assert _draft_definition(with_draft)["pages"][0]["fields"][0]["label"]["ja"] == label
    for url in ("", "fields/applicant_name/", "conditions/field/applicant_name/"):
        body = clerk.get(base + url).content.decode()
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body, url
    clerk.post(base + "preview/")
    preview = clerk.get(base + "preview/pages/page1/").content.decode()
    assert "<script>alert" not in preview and "&lt;script&gt;" in preview


def _upload(content, name="form.json"):
    return SimpleUploadedFile(name, content, content_type="application/json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b" " * (builder.MAX_IMPORT_BYTES + 10), "ファイルが大きすぎます"),
        (b"[" * 5000 + b"]" * 5000, "入れ子が深すぎます"),
        (b"\x82\xa0\x82\xa2", "UTF-8ではありません"),
        (b'{"schema": "1", "pages": {}}', "申請書の定義に問題があります"),
        (b'{"schema": 1, "pages": [], "unknown": 1}', "申請書の定義に問題があります"),
    ],
    ids=["huge", "deep", "shift-jis", "wrong-types", "unknown-key"],
)
def test_hostile_imports_are_refused_with_every_problem(clerk, juminhyo_a, content, message):
    response = clerk.post(_base(juminhyo_a) + "import/", {"file": _upload(content)})
    body = response.content.decode()
    assert response.status_code == 400 and message in body
    with scopes_disabled():
        assert not FormVersion.objects.filter(procedure=juminhyo_a).exists()
    if b"unknown" in content:
        assert "$.unknown" in body and "$.pages" in body  # every problem, with its location


def test_import_with_script_labels_shows_them_escaped_and_export_round_trips(clerk, juminhyo_a):
    data = {
        "schema": 1,
        "pages": [
            {
                "id": "p",
                "title": {"ja": "<script>x()</script>"},
                "fields": [{"id": "a", "type": "short_text", "label": {"ja": "<img src=x onerror=alert(1)>"}}],
            }
        ],
    }
    response = clerk.post(_base(juminhyo_a) + "import/", {"file": _upload(json.dumps(data).encode())})
    assert response.status_code == 302
    overview = clerk.get(_base(juminhyo_a)).content.decode()
    assert "<script>x()" not in overview and "<img src=x" not in overview and "&lt;img src=x" in overview
    exported = clerk.get(_base(juminhyo_a) + "versions/1/export.json")
    assert exported["Content-Type"].startswith("application/json") and "attachment" in exported["Content-Disposition"]
    assert validate_definition(json.loads(exported.content)) == validate_definition(data)
    assert list(json.loads(exported.content)["pages"][0]) == ["id", "title", "fields"]  # documented order
    with scopes_disabled():
        actions = set(AuditEvent.objects.filter(object_id=str(juminhyo_a.public_id)).values_list("action", flat=True))
    assert {"form.imported", "form.exported"} <= actions


def test_history_lists_versions_and_discard_asks_first(clerk, with_draft):
    base = _base(with_draft)
    history = clerk.get(base + "history/").content.decode()
    assert "第1版" in history and "下書き" in history
    confirm = clerk.get(base + "discard/")
    assert confirm.status_code == 200 and "元に戻せません" in confirm.content.decode()
    clerk.post(base + "discard/", {"revision": _revision(with_draft)})
    with scopes_disabled():
        assert not FormVersion.objects.filter(procedure=with_draft).exists()


def test_condition_editor_offers_only_earlier_fields_and_their_options(clerk, with_draft):
    base = _base(with_draft)
    clerk.post(
        base + "pages/page1/fields/add/",
        {
            "revision": _revision(with_draft),
            "type": "single_choice",
            "id": "way",
            "label_ja": "受け取り方法",
            "options": "post|郵送|By post\ncounter|窓口|At the counter",
            "required": "on",
        },
    )
    clerk.post(
        base + "pages/page1/fields/add/",
        {
            "revision": _revision(with_draft),
            "type": "short_text",
            "id": "later",
            "label_ja": "後の質問",
        },
    )
    editor = clerk.get(base + "conditions/field/way/").content.decode()
    assert 'value="applicant_name"' in editor and 'value="later"' not in editor and 'value="way"' not in editor
    chosen = clerk.get(base + "conditions/field/later/?field=way").content.decode()
    assert 'value="post"' in chosen and 'value="counter"' in chosen
    bogus = clerk.get(base + "conditions/field/way/?field=later").content.decode()
    assert 'name="operator"' not in bogus  # a later field cannot be chosen, even by hand
    empty = clerk.post(
        base + "conditions/field/later/",
        {
            "revision": _revision(with_draft),
            "field": "way",
            "operator": "equals",
            "action": "add",
            "mode": "all",
        },
    )
    assert empty.status_code == 400 and "選択肢を1つ以上選んでください" in empty.content.decode()
    for values, mode in ((["post"], "all"), (["post", "counter"], "any")):
        clerk.post(
            base + "conditions/field/later/",
            {
                "revision": _revision(with_draft),
                "field": "way",
                "operator": "equals",
                "values": values,
                "action": "add",
                "mode": mode,
            },
        )
    assert _draft_definition(with_draft)["pages"][0]["fields"][2]["condition"] == {
        "any": [{"field": "way", "equals": "post"}, {"field": "way", "in": ["post", "counter"]}]
    }
    clerk.post(base + "conditions/field/later/", {"revision": _revision(with_draft), "action": "mode", "mode": "all"})
    assert "all" in _draft_definition(with_draft)["pages"][0]["fields"][2]["condition"]
    clerk.post(base + "conditions/field/later/", {"revision": _revision(with_draft), "action": "remove:0"})
    assert _draft_definition(with_draft)["pages"][0]["fields"][2]["condition"] == {
        "field": "way",
        "in": ["post", "counter"],
    }
    shown = clerk.get(base).content.decode()
    assert "「受け取り方法」が「郵送、窓口」のどれか" in shown
    clerk.post(base + "conditions/field/later/", {"revision": _revision(with_draft), "action": "clear"})
    assert "condition" not in _draft_definition(with_draft)["pages"][0]["fields"][2]


def test_fee_editor_offers_this_municipalitys_fees_only(clerk, city_b, with_draft):
    from madoguchi.procedures.models import Fee

    with scopes_disabled():
        Fee.objects.create(municipality=city_b, code="other-city", name="他市の手数料", amount=999)
    page = clerk.get(_base(with_draft) + "add-fee/").content.decode()
    assert 'value="juminhyo"' in page and "other-city" not in page
    refused = clerk.post(
        _base(with_draft) + "add-fee/",
        {
            "revision": _revision(with_draft),
            "code": "other-city",
            "quantity_mode": "fixed",
            "quantity": "1",
        },
    )
    assert refused.status_code == 400
    assert "fee" not in _draft_definition(with_draft)


def test_preview_never_creates_a_submission_and_keeps_answers_in_the_session(clerk, with_draft):
    base = _base(with_draft)
    start = clerk.post(base + "preview/")
    assert start.status_code == 302 and start["Location"].endswith("/preview/pages/page1/")
    invalid = clerk.post(start["Location"], {"applicant_name__family_name": "山田"})
    assert invalid.status_code == 400 and 'value="山田"' in invalid.content.decode()
    done = clerk.post(
        start["Location"],
        {
            "applicant_name__family_name": "山田",
            "applicant_name__given_name": "花子",
            "applicant_name__family_name_kana": "やまだ",
            "applicant_name__given_name_kana": "ハナコ",
        },
    )
    assert done["Location"].endswith("/preview/check/")
    check = clerk.get(done["Location"]).content.decode()
    assert "ヤマダ" in check and "プレビューのため" in check and "この内容で申請する" not in check
    with scopes_disabled():
        assert not Submission.objects.exists()


def _add_field(client, base, procedure, page_id, **data):
    response = client.post(f"{base}pages/{page_id}/fields/add/", {"revision": _revision(procedure), **data})
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.mark.django_db(transaction=True)
def test_done_when_staff_build_a_form_with_a_condition_and_fee_and_a_resident_applies(clerk, city_a, juminhyo_a):
    with scopes_disabled():
        Procedure.objects.filter(pk=juminhyo_a.pk).update(identity_level=IdentityLevel.ACCOUNT)
    base = _base(juminhyo_a)
    assert "白紙（1ページ）から始める" in clerk.get(base).content.decode()
    assert clerk.post(base, {"source": "blank"}).status_code == 302
    # page 1: who, how many copies, how to receive
    _add_field(
        clerk,
        base,
        juminhyo_a,
        "page1",
        type="number",
        id="copies",
        label_ja="通数",
        label_en="Copies",
        min="1",
        max="10",
        unit_ja="通",
        required="on",
    )
    _add_field(
        clerk,
        base,
        juminhyo_a,
        "page1",
        type="single_choice",
        id="delivery",
        label_ja="受け取り方法",
        options="post|郵送|By post\ncounter|窓口|At the counter",
        required="on",
    )
    # page 2: the postal address, only when 郵送 is chosen
    added = clerk.post(
        base + "add-page/",
        {
            "revision": _revision(juminhyo_a),
            "id": "mailing",
            "title_ja": "送り先",
            "title_en": "Where to send it",
            "field_id": "send_to",
            "field_type": "address",
            "field_label_ja": "送り先の住所",
        },
    )
    assert added.status_code == 302
    condition = clerk.post(
        base + "conditions/page/mailing/",
        {
            "revision": _revision(juminhyo_a),
            "field": "delivery",
            "operator": "equals",
            "values": ["post"],
            "action": "add",
            "mode": "all",
        },
    )
    assert condition.status_code == 302
    fee = clerk.post(
        base + "add-fee/",
        {
            "revision": _revision(juminhyo_a),
            "code": "juminhyo",
            "quantity_mode": "field",
            "quantity_field": "copies",
        },
    )
    assert fee.status_code == 302
    overview = clerk.get(base).content.decode()
    assert "「受け取り方法」が「郵送」" in overview and "「通数」の数" in overview

    # preview as a resident: the condition and the fee work, nothing is sent
    first = clerk.post(base + "preview/")["Location"]
    page1 = {
        "applicant_name__family_name": "山田",
        "applicant_name__given_name": "太郎",
        "applicant_name__family_name_kana": "ヤマダ",
        "applicant_name__given_name_kana": "タロウ",
        "copies": "2",
        "delivery": "counter",
    }
    assert clerk.post(first, page1)["Location"].endswith("/preview/check/")  # 窓口: no address page
    assert clerk.get(base + "preview/pages/mailing/").status_code == 404
    check = clerk.get(base + "preview/check/").content.decode()
    assert "600円" in check and "窓口" in check

    # publish
    assert "公開します" in clerk.get(base + "publish/").content.decode()
    published = clerk.post(base + "publish/", {"revision": _revision(juminhyo_a)})
    assert published.status_code == 302
    with scopes_disabled():
        live = FormVersion.objects.get(procedure=juminhyo_a, status="live")
        assert not Submission.objects.exists()
    assert [page["id"] for page in live.definition["pages"]] == ["page1", "mailing"]

    # a resident applies through it, by post this time
    resident = make_user("resident@example.jp", family_name="山田", given_name="太郎")
    client = Client()
    client.force_login(resident)
    started = client.post("/city-a/procedures/juminhyo/apply/")
    assert started.status_code == 302
    second = client.post(started["Location"], {**page1, "delivery": "post"})
    assert second["Location"].endswith("/mailing/")
    check_url = client.post(
        second["Location"],
        {
            "send_to__postal_code": "939-1596",
            "send_to__prefecture": "富山県",
            "send_to__city": "南砺市",
            "send_to__town": "苗島",
            "send_to__street": "4880",
        },
    )["Location"]
    assert "600円" in client.get(check_url).content.decode()
    done = client.post(check_url)
    assert done.status_code == 302
    number = re.search(r'data-testid="receipt-number">([^<]+)<', client.get(done["Location"]).content.decode())
    with scopes_disabled():
        submission = Submission.objects.get(receipt_number=number.group(1))
    assert submission.status == SubmissionStatus.SUBMITTED and submission.form_version_id == live.pk
    assert submission.fee_total == 600 and submission.answers["send_to"]["city"] == "南砺市"
    with scopes_disabled():
        actions = set(AuditEvent.objects.filter(object_id=str(juminhyo_a.public_id)).values_list("action", flat=True))
    assert {
        "form.draft_created",
        "form.field_added",
        "form.page_added",
        "form.condition_set",
        "form.fee_updated",
        "form.published",
    } <= actions


def test_a_change_that_breaks_another_part_says_where(clerk, with_draft):
    base = _base(with_draft)
    _add_field(
        clerk,
        base,
        with_draft,
        "page1",
        type="single_choice",
        id="way",
        label_ja="受け取り方法",
        options="post|郵送\ncounter|窓口",
        required="on",
    )
    _add_field(clerk, base, with_draft, "page1", type="short_text", id="where", label_ja="送り先")
    clerk.post(
        base + "conditions/field/where/",
        {
            "revision": _revision(with_draft),
            "field": "way",
            "operator": "equals",
            "values": ["post"],
            "action": "add",
            "mode": "all",
        },
    )
    # turning the choice into a number leaves the condition's "post" meaningless: refused, naming the question
    response = clerk.post(
        base + "fields/way/",
        {
            "revision": _revision(with_draft),
            "type": "number",
            "id": "way",
            "label_ja": "受け取り方法",
            "required": "on",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "「送り先」について" in body
    assert _draft_definition(with_draft)["pages"][0]["fields"][1]["type"] == "single_choice"


def test_a_fee_code_removed_from_the_table_blocks_publishing_with_the_reason(clerk, with_draft):
    from madoguchi.procedures.models import Fee

    base = _base(with_draft)
    clerk.post(
        base + "add-fee/",
        {"revision": _revision(with_draft), "code": "juminhyo", "quantity_mode": "fixed", "quantity": "1"},
    )
    assert _draft_definition(with_draft)["fee"] == {"items": [{"code": "juminhyo"}]}
    with scopes_disabled():
        with_draft.fees.clear()
        Fee.objects.filter(code="juminhyo").delete()
    overview = clerk.get(base).content.decode()
    assert "このままでは公開できません" in overview and "$.fee.items[0].code" in overview
    refused = clerk.post(base + "publish/", {"revision": _revision(with_draft)}, follow=True)
    assert "「手数料」について" in refused.content.decode()
    with scopes_disabled():
        assert FormVersion.objects.get(procedure=with_draft).status == "draft"


def test_overview_offers_only_the_moves_and_deletions_that_can_work(clerk, with_draft):
    base = _base(with_draft)
    alone = clerk.get(base).content.decode()
    for action in (
        "fields/applicant_name/up/",
        "fields/applicant_name/down/",
        "fields/applicant_name/delete/",
        "pages/page1/up/",
        "pages/page1/delete/",
    ):
        assert base + action not in alone, action
    _add_field(clerk, base, with_draft, "page1", type="email", id="mail", label_ja="メール")
    two = clerk.get(base).content.decode()
    assert base + "fields/applicant_name/down/" in two and base + "fields/mail/up/" in two
    assert base + "fields/applicant_name/up/" not in two and base + "fields/mail/down/" not in two
    assert base + "fields/mail/delete/" in two


def test_a_resident_midway_through_the_old_version_finishes_with_it_after_a_publish(clerk, city_a, juminhyo_a):
    v1_definition = {
        "schema": 1,
        "pages": [
            {"id": "memo_page", "title": "一", "fields": [{"id": "memo", "type": "short_text", "label": "メモ"}]}
        ],
    }
    with municipality_scope(city_a):
        v1 = builder.form_definition_publish(procedure=juminhyo_a, actor=None, definition=v1_definition, request=None)
        Procedure.objects.filter(pk=juminhyo_a.pk).update(identity_level=IdentityLevel.ACCOUNT)
    resident = Client()
    resident.force_login(make_user())
    page_url = resident.post("/city-a/procedures/juminhyo/apply/")["Location"]
    assert page_url.endswith("/memo_page/")
    # staff publish version 2 (a blank form with other questions) while the resident is on the old page
    clerk.post(_base(juminhyo_a), {"source": "blank"})
    assert clerk.post(_base(juminhyo_a) + "publish/", {"revision": _revision(juminhyo_a)}).status_code == 302
    check_url = resident.post(page_url, {"memo": "途中の申請"})["Location"]
    done = resident.post(check_url)
    assert done.status_code == 302 and done["Location"].endswith("/done/")
    with scopes_disabled():
        sent = Submission.objects.get(status=SubmissionStatus.SUBMITTED)
        v2 = FormVersion.objects.get(procedure=juminhyo_a, status="live")
    assert sent.form_version_id == v1.pk and sent.answers == {"memo": "途中の申請"} and v2.pk != v1.pk
    other = Client()
    other.force_login(make_user())
    assert other.post("/city-a/procedures/juminhyo/apply/")["Location"].endswith("/page1/")  # new drafts: v2


def test_empty_and_out_of_range_input_gets_messages_naming_the_field(clerk, with_draft):
    base = _base(with_draft)
    page = clerk.post(base + "add-page/", {"revision": _revision(with_draft), "title_ja": "x" * 201}).content.decode()
    assert "ページIDを入力してください。" in page and "最初の質問を選択してください。" not in page
    assert "見出しは200文字以内で入力してください（現在201文字）。" in page
    assert "最初の質問の種類を選択してください。" in page
    number = clerk.post(
        base + "pages/page1/fields/add/",
        {
            "revision": _revision(with_draft),
            "type": "number",
            "id": "n",
            "label_ja": "数",
            "min": "abc",
            "decimal_places": "9",
        },
    ).content.decode()
    assert (
        "最小値は数字で入力してください（例：3）。" in number
        and "小数点以下の桁数は6以下の数を入力してください。" in number
    )
    english = clerk.post(base + "import/?lang=en", {}).content.decode()
    assert "Form definition file (JSON)" in english and "のファイル" not in english
