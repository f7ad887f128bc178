"""The form builder's services: every change validated, audited, refused when stale; publish and import."""

import json

import pytest
from django_scopes import scopes_disabled

from madoguchi.audit.models import AuditEvent
from madoguchi.core.errors import ServiceError
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import builder
from madoguchi.procedures.builder import DefinitionRefused, revision_of
from madoguchi.procedures.engine.definition import validate_definition
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.journey import draft_start, draft_submit
from madoguchi.procedures.models import FormVersion, Submission

from ..factories import make_user


def _rev(draft):
    return revision_of(draft.definition)


@pytest.fixture
def draft(city_a, juminhyo_a):
    with municipality_scope(city_a):
        return builder.form_draft_create(procedure=juminhyo_a, actor=None, source="blank", request=None)


def _edit(fn, procedure, draft, **kwargs):
    draft.refresh_from_db()
    return fn(procedure=procedure, actor=None, revision=_rev(draft), request=None, **kwargs)


def test_create_draft_from_each_source_and_it_is_idempotent(city_a, juminhyo_a):
    with municipality_scope(city_a):
        with pytest.raises(ServiceError) as no_live:
            builder.form_draft_create(procedure=juminhyo_a, actor=None, source="live", request=None)
        assert no_live.value.field == "source"
        with pytest.raises(ServiceError):
            builder.form_draft_create(procedure=juminhyo_a, actor=None, source="nonsense", request=None)
        first = builder.form_draft_create(procedure=juminhyo_a, actor=None, source="preset", request=None)
        assert first.definition == example_json("juminhyo") and first.status == "draft" and first.number == 1
        again = builder.form_draft_create(procedure=juminhyo_a, actor=None, source="blank", request=None)
        assert again.pk == first.pk and again.definition == example_json("juminhyo")
        builder.form_draft_publish(procedure=juminhyo_a, actor=None, revision=_rev(first), request=None)
        copy = builder.form_draft_create(procedure=juminhyo_a, actor=None, source="live", request=None)
        assert copy.number == 2 and copy.definition == first.definition
        assert AuditEvent.objects.filter(action="form.draft_created").count() == 2


def test_pages_add_edit_move_remove(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        _edit(
            builder.form_page_add,
            juminhyo_a,
            draft,
            page={"id": "second", "title": {"ja": "二つ目"}},
            first_field={"id": "note", "type": "long_text", "label": {"ja": "備考"}},
        )
        draft.refresh_from_db()
        assert [p["id"] for p in draft.definition["pages"]] == ["page1", "second"]
        _edit(builder.form_page_move, juminhyo_a, draft, page_id="second", direction="up")
        draft.refresh_from_db()
        assert [p["id"] for p in draft.definition["pages"]] == ["second", "page1"]
        with pytest.raises(ServiceError, match="これ以上移動できません"):
            _edit(builder.form_page_move, juminhyo_a, draft, page_id="second", direction="up")
        _edit(
            builder.form_page_update,
            juminhyo_a,
            draft,
            page_id="second",
            page={"id": "notes", "title": {"ja": "備考", "en": "Notes"}, "hint": {"ja": "任意です"}},
        )
        draft.refresh_from_db()
        assert draft.definition["pages"][0]["title"] == {"ja": "備考", "en": "Notes"}
        assert draft.definition["pages"][0]["fields"][0]["id"] == "note"
        with pytest.raises(ServiceError) as duplicate:
            _edit(builder.form_page_update, juminhyo_a, draft, page_id="notes", page={"id": "page1", "title": "x"})
        assert duplicate.value.field == "id"
        _edit(builder.form_page_remove, juminhyo_a, draft, page_id="notes")
        draft.refresh_from_db()
        with pytest.raises(ServiceError, match="最後の1ページ"):
            _edit(builder.form_page_remove, juminhyo_a, draft, page_id="page1")
        with pytest.raises(ServiceError) as missing:
            _edit(builder.form_page_remove, juminhyo_a, draft, page_id="nope")
        assert missing.value.status == 404
    actions = list(AuditEvent.objects.filter(action__startswith="form.page").values_list("action", flat=True))
    assert sorted(set(actions)) == ["form.page_added", "form.page_moved", "form.page_removed", "form.page_updated"]


def test_an_invalid_change_is_refused_with_the_validators_message_at_the_field(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        bad_options = {
            "id": "way",
            "type": "single_choice",
            "label": {"ja": "方法"},
            "options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}],
        }
        with pytest.raises(DefinitionRefused) as refused:
            _edit(builder.form_field_add, juminhyo_a, draft, page_id="page1", field=bad_options)
        assert refused.value.field == "options" and refused.value.issues[0].location.startswith("$.pages[0].fields[1]")
        with pytest.raises(DefinitionRefused) as label:
            _edit(
                builder.form_field_add,
                juminhyo_a,
                draft,
                page_id="page1",
                field={"id": "x", "type": "short_text", "label": {"ja": "a\u0007"}},
            )
        assert label.value.field == "label_ja"
        draft.refresh_from_db()
        assert len(draft.definition["pages"][0]["fields"]) == 1  # nothing was saved


@pytest.mark.parametrize(
    "field",
    [
        {"id": "f", "type": "short_text", "label": {"ja": "短"}, "max_length": 50, "required": False},
        {"id": "f", "type": "long_text", "label": {"ja": "長"}, "max_length": 5000, "hint": {"ja": "説明"}},
        {"id": "f", "type": "number", "label": {"ja": "数"}, "min": 1, "max": 10, "unit": {"ja": "通"}},
        {"id": "f", "type": "number", "label": {"ja": "小数"}, "decimal_places": 2, "min": 0.5},
        {"id": "f", "type": "date", "label": {"ja": "日"}, "min": "2020-01-01", "max": "today"},
        {"id": "f", "type": "single_choice", "label": {"ja": "一"}, "options": [{"value": "a", "label": "A"}]},
        {
            "id": "f",
            "type": "multiple_choice",
            "label": {"ja": "複"},
            "min": 1,
            "max": 2,
            "options": [{"value": "a", "label": "A"}, {"value": "b", "label": {"ja": "B", "en": "Bee"}}],
        },
        {"id": "f", "type": "phone", "label": {"ja": "電話"}, "prefill": "profile.phone"},
        {"id": "f", "type": "email", "label": {"ja": "メール"}, "prefill": "profile.email"},
        {"id": "f", "type": "file", "label": {"ja": "添付"}, "max_size_mb": 5, "kinds": ["pdf"]},
        {"id": "f", "type": "name", "label": {"ja": "名"}, "kana": False, "prefill": ["claims.name", "profile.name"]},
        {"id": "f", "type": "address", "label": {"ja": "住所"}, "prefill": "profile.address"},
        {
            "id": "f",
            "type": "repeated_group",
            "label": {"ja": "子"},
            "max_items": 5,
            "min_items": 1,
            "item_label": {"ja": "子ども"},
            "fields": [{"id": "born", "type": "date", "label": {"ja": "生年月日"}}],
        },
        {"id": "f", "type": "consent", "label": {"ja": "同意"}, "declaration": {"ja": "誓約します。"}},
    ],
    ids=lambda field: f"{field['type']}-{field['label']['ja']}",
)
def test_every_field_type_can_be_added_with_its_keys(city_a, juminhyo_a, draft, field):
    with municipality_scope(city_a):
        _edit(builder.form_field_add, juminhyo_a, draft, page_id="page1", field=field)
        draft.refresh_from_db()
        saved = draft.definition["pages"][0]["fields"][1]
        assert saved == field
        assert builder.parsed(draft).field("f").type == field["type"]


def test_fields_edit_rename_move_remove_and_group_members(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        _edit(
            builder.form_field_add,
            juminhyo_a,
            draft,
            page_id="page1",
            field={
                "id": "kids",
                "type": "repeated_group",
                "label": {"ja": "子"},
                "max_items": 3,
                "fields": [{"id": "born", "type": "date", "label": {"ja": "生年月日"}}],
            },
        )
        _edit(
            builder.form_field_add,
            juminhyo_a,
            draft,
            page_id="page1",
            group_id="kids",
            field={"id": "kname", "type": "short_text", "label": {"ja": "名前"}},
        )
        _edit(builder.form_field_move, juminhyo_a, draft, key="kids.kname", direction="up")
        draft.refresh_from_db()
        assert [m["id"] for m in draft.definition["pages"][0]["fields"][1]["fields"]] == ["kname", "born"]
        with pytest.raises(DefinitionRefused):  # a group may not hold a consent
            _edit(
                builder.form_field_add,
                juminhyo_a,
                draft,
                page_id="page1",
                group_id="kids",
                field={"id": "ok", "type": "consent", "label": "x", "declaration": "y"},
            )
        _edit(builder.form_field_remove, juminhyo_a, draft, key="kids.born")
        with pytest.raises(ServiceError, match="最後の1項目"):
            _edit(builder.form_field_remove, juminhyo_a, draft, key="kids.kname")
        # a page with a condition on "kids" keeps working when kids is renamed
        _edit(
            builder.form_page_add,
            juminhyo_a,
            draft,
            page={"id": "p2", "title": "二"},
            first_field={"id": "memo", "type": "short_text", "label": {"ja": "メモ"}},
        )
        _edit(
            builder.form_condition_set,
            juminhyo_a,
            draft,
            target="page",
            target_id="p2",
            condition={"field": "kids", "is_answered": True},
        )
        _edit(
            builder.form_field_update,
            juminhyo_a,
            draft,
            key="kids",
            field={"id": "children", "type": "repeated_group", "label": {"ja": "子ども"}, "max_items": 4},
        )
        draft.refresh_from_db()
        pages = draft.definition["pages"]
        assert pages[0]["fields"][1]["id"] == "children" and pages[0]["fields"][1]["fields"][0]["id"] == "kname"
        assert pages[1]["condition"] == {"field": "children", "is_answered": True}
        # memo is p2's only field: moving it to the previous page would leave p2 empty
        with pytest.raises(ServiceError, match="これ以上移動できません"):
            _edit(builder.form_field_move, juminhyo_a, draft, key="memo", direction="up")
        # children moving onto p2 would make p2's condition look at its own page: the validator says no
        with pytest.raises(DefinitionRefused, match="より前にある項目だけ"):
            _edit(builder.form_field_move, juminhyo_a, draft, key="children", direction="down")
        _edit(builder.form_condition_set, juminhyo_a, draft, target="page", target_id="p2", condition=None)
        _edit(builder.form_field_move, juminhyo_a, draft, key="children", direction="down")
        draft.refresh_from_db()
        assert [f["id"] for f in draft.definition["pages"][1]["fields"]] == ["children", "memo"]


def test_conditions_only_look_backwards_and_values_must_fit(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        _edit(
            builder.form_field_add,
            juminhyo_a,
            draft,
            page_id="page1",
            field={
                "id": "way",
                "type": "single_choice",
                "label": {"ja": "受け取り"},
                "options": [{"value": "post", "label": "郵送"}, {"value": "counter", "label": "窓口"}],
            },
        )
        _edit(
            builder.form_field_add,
            juminhyo_a,
            draft,
            page_id="page1",
            field={"id": "where", "type": "short_text", "label": {"ja": "送り先"}},
        )
        _edit(
            builder.form_condition_set,
            juminhyo_a,
            draft,
            target="field",
            target_id="where",
            condition={"any": [{"field": "way", "equals": "post"}, {"field": "way", "in": ["post", "counter"]}]},
        )
        with pytest.raises(DefinitionRefused):
            _edit(
                builder.form_condition_set,
                juminhyo_a,
                draft,
                target="field",
                target_id="way",
                condition={"field": "where", "is_answered": True},
            )  # looks forward
        with pytest.raises(DefinitionRefused):
            _edit(
                builder.form_condition_set,
                juminhyo_a,
                draft,
                target="field",
                target_id="where",
                condition={"field": "way", "equals": "bike"},
            )  # not an option
        _edit(builder.form_condition_set, juminhyo_a, draft, target="field", target_id="where", condition=None)
        draft.refresh_from_db()
        assert "condition" not in draft.definition["pages"][0]["fields"][2]
    assert builder.condition_parts({"all": [{"field": "a", "equals": 1}]}) == ("all", [{"field": "a", "equals": 1}])
    assert builder.condition_parts({"not": {"field": "a", "equals": 1}}) is None
    assert builder.condition_compose("any", [{"field": "a", "equals": 1}]) == {"field": "a", "equals": 1}


def test_fee_rules_use_the_municipalitys_fee_table(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        _edit(
            builder.form_field_add,
            juminhyo_a,
            draft,
            page_id="page1",
            field={"id": "copies", "type": "number", "label": {"ja": "通数"}, "min": 1, "max": 10},
        )
        _edit(
            builder.form_fee_item_save,
            juminhyo_a,
            draft,
            index=None,
            item={"code": "juminhyo", "quantity_field": "copies"},
        )
        with pytest.raises(DefinitionRefused):
            _edit(builder.form_fee_item_save, juminhyo_a, draft, index=None, item={"code": "not-in-table"})
        _edit(builder.form_fee_item_save, juminhyo_a, draft, index=0, item={"code": "juminhyo", "quantity": 2})
        draft.refresh_from_db()
        assert draft.definition["fee"] == {"items": [{"code": "juminhyo", "quantity": 2}]}
        _edit(builder.form_fee_item_remove, juminhyo_a, draft, index=0)
        draft.refresh_from_db()
        assert "fee" not in draft.definition
        with pytest.raises(ServiceError):
            _edit(builder.form_fee_item_remove, juminhyo_a, draft, index=0)


def test_a_stale_revision_is_refused_instead_of_overwriting(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        seen = _rev(draft)
        builder.form_page_update(
            procedure=juminhyo_a,
            actor=None,
            revision=seen,
            page_id="page1",
            page={"id": "page1", "title": {"ja": "同僚の変更"}},
            request=None,
        )
        with pytest.raises(ServiceError) as stale:
            builder.form_page_update(
                procedure=juminhyo_a,
                actor=None,
                revision=seen,
                page_id="page1",
                page={"id": "page1", "title": {"ja": "私の変更"}},
                request=None,
            )
        assert stale.value.code == "stale" and stale.value.status == 409
        for call in (builder.form_draft_publish, builder.form_draft_discard):
            with pytest.raises(ServiceError, match="ほかの職員"):
                call(procedure=juminhyo_a, actor=None, revision=seen, request=None)
        draft.refresh_from_db()
        assert draft.definition["pages"][0]["title"] == {"ja": "同僚の変更"}


def test_edits_without_a_draft_are_refused(city_a, juminhyo_a):
    with municipality_scope(city_a), pytest.raises(ServiceError) as error:
        builder.form_page_remove(procedure=juminhyo_a, actor=None, revision="x", page_id="p", request=None)
    assert error.value.code == "no_draft"


def test_publish_retires_the_old_version_and_old_drafts_still_submit_with_it(city_a, juminhyo_a):
    resident = make_user(family_name="山田", given_name="太郎", family_name_kana="ヤマダ", given_name_kana="タロウ")
    with municipality_scope(city_a):
        v1_definition = {
            "schema": 1,
            "pages": [
                {"id": "only", "title": "一", "fields": [{"id": "memo", "type": "short_text", "label": {"ja": "メモ"}}]}
            ],
        }
        v1 = builder.form_definition_publish(procedure=juminhyo_a, actor=None, definition=v1_definition, request=None)
        old_draft = draft_start(procedure=juminhyo_a, applicant=resident, request=None)
        new = builder.form_draft_create(procedure=juminhyo_a, actor=None, source="blank", request=None)
        v2 = builder.form_draft_publish(procedure=juminhyo_a, actor=None, revision=_rev(new), request=None)
        v1.refresh_from_db()
        assert (v1.status, v2.status) == ("retired", "live") and v2.published_at is not None
        assert FormVersion.objects.filter(procedure=juminhyo_a, status="live").count() == 1
        # the resident's draft made on v1 still submits with v1 (whose questions v2 no longer has) …
        answers = {"memo": "第1版で入力"}
        Submission.objects.filter(pk=old_draft.pk).update(answers=answers)
        old_draft.refresh_from_db()
        sent = draft_submit(draft=old_draft, request=None)
        assert sent.status == "submitted" and sent.form_version_id == v1.pk and sent.answers == answers
        # … and a new draft uses v2
        fresh = draft_start(procedure=juminhyo_a, applicant=make_user(), request=None)
        assert fresh.form_version_id == v2.pk
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="form.published").count() == 2


def test_discard_removes_only_the_draft(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        builder.form_draft_discard(procedure=juminhyo_a, actor=None, revision=_rev(draft), request=None)
        assert not FormVersion.objects.filter(procedure=juminhyo_a).exists()
    assert AuditEvent.objects.filter(action="form.draft_discarded").exists()


def test_export_gives_back_the_definition(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        text = builder.form_version_export(procedure=juminhyo_a, version=draft, actor=None, request=None)
    assert json.loads(text) == builder.parsed(draft).to_dict()
    assert builder.parsed(draft) == validate_definition(json.loads(text))
    assert AuditEvent.objects.filter(action="form.exported").exists()


def _import(procedure, raw, revision=None):
    return builder.form_draft_import(procedure=procedure, actor=None, raw=raw, revision=revision, request=None)


def test_import_round_trip_and_replacing_a_draft_needs_its_revision(city_a, juminhyo_a, draft):
    raw = json.dumps(example_json("juminhyo"), ensure_ascii=False).encode("utf-8")
    with municipality_scope(city_a):
        with pytest.raises(ServiceError, match="ほかの職員"):
            _import(juminhyo_a, raw, revision="old")
        imported = _import(juminhyo_a, b"\xef\xbb\xbf" + raw, revision=_rev(draft))
        assert imported.pk == draft.pk and imported.definition == example_json("juminhyo")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{" + b" " * (builder.MAX_IMPORT_BYTES + 1) + b"}", "大きすぎます"),
        (b"[" * 100_000 + b"]" * 100_000, "入れ子が深すぎます"),
        (b"[" * 50 + b"]" * 50, "入れ子が深すぎます"),
        ('{"schema": 1}'.encode("utf-16"), "UTF-8"),
        (b"\x93\xfa\x96\x7b", "UTF-8"),
        (b'{"schema": 1,', "JSONとして読めません"),
        (b'{"schema": 1, "schema": 1}', "重複"),
        (b'{"schema": NaN}', "JSONとして読めません"),
        (b"[1, 2]", "オブジェクト"),
    ],
    ids=["huge", "huge-nesting", "deep", "utf16", "shift-jis", "truncated", "duplicate-key", "nan", "array"],
)
def test_hostile_files_are_refused_with_a_reason(city_a, juminhyo_a, raw, message):
    with municipality_scope(city_a):
        with pytest.raises(ServiceError, match=message) as error:
            _import(juminhyo_a, raw)
        assert not FormVersion.objects.filter(procedure=juminhyo_a).exists()
    assert error.value.field == "file"


def test_an_invalid_definition_lists_every_problem_with_its_location(city_a, juminhyo_a):
    data = {
        "schema": 1,
        "typo": True,
        "pages": [
            {
                "id": "p",
                "title": "t",
                "fields": [
                    {"id": "a", "type": "number", "label": "x", "min": "one"},
                    {"id": "b", "type": "spaceship", "label": "y"},
                    {"id": "c", "type": "short_text", "label": "z", "requried": False},
                ],
            }
        ],
    }
    with municipality_scope(city_a), pytest.raises(DefinitionRefused) as refused:
        _import(juminhyo_a, json.dumps(data).encode())
    locations = [issue.location for issue in refused.value.issues]
    assert "$.typo" in locations and "$.pages[0].fields[0].min" in locations
    assert "$.pages[0].fields[1].type" in locations and "$.pages[0].fields[2].requried" in locations


def test_publishing_twice_returns_the_version_already_live(city_a, juminhyo_a, draft):
    with municipality_scope(city_a):
        seen = _rev(draft)
        first = builder.form_draft_publish(procedure=juminhyo_a, actor=None, revision=seen, request=None)
        again = builder.form_draft_publish(procedure=juminhyo_a, actor=None, revision=seen, request=None)
        assert again.pk == first.pk and again.status == "live"
        with pytest.raises(ServiceError) as other:
            builder.form_draft_publish(procedure=juminhyo_a, actor=None, revision="someone-else", request=None)
        assert other.value.code == "no_draft"
    assert AuditEvent.objects.filter(action="form.published").count() == 1
