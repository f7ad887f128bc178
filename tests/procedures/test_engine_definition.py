"""Form definitions: the schema accepts good JSON and refuses bad JSON with a location and a message.

The small builders here (definition, page, text, choice …) are shared by the other engine tests.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from madoguchi.procedures.engine import DefinitionError, FormDefinition, load_example, validate_definition
from madoguchi.procedures.engine.examples import example_json

from .test_engine_i18n import english  # noqa: F401  (fixture)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "form-definition.md"


# -- builders -----------------------------------------------------------------------------------------------


def page(page_id: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": page_id,
        "title": {"ja": f"ページ{page_id}", "en": f"Page {page_id}"},
        "fields": list(fields),
        **extra,
    }


def text(field_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": field_id, "type": "short_text", "label": {"ja": "項目", "en": "Item"}, **extra}


def field(field_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": field_id, "type": kind, "label": {"ja": f"{field_id}の項目", "en": f"Item {field_id}"}, **extra}


def choice(field_id: str, values: tuple[str, ...] = ("a", "b", "c"), kind: str = "single_choice", **extra: Any):
    options = [{"value": value, "label": {"ja": f"選択{value}", "en": f"Option {value}"}} for value in values]
    return field(field_id, kind, options=options, **extra)


def definition(*pages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schema": 1, "pages": list(pages), **extra}


def build(*pages: dict[str, Any], **extra: Any) -> FormDefinition:
    return validate_definition(definition(*pages, **extra))


def issues(data: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        validate_definition(data, **kwargs)
    return [(issue.location, issue.message) for issue in caught.value.issues]


# -- valid definitions --------------------------------------------------------------------------------------


def test_example_is_valid_and_round_trips_through_json():
    loaded = load_example("juminhyo")
    assert [p.id for p in loaded.pages] == ["applicant", "whose", "subject", "certificate", "delivery", "declaration"]
    exported = json.loads(json.dumps(loaded.to_dict(), ensure_ascii=False))
    assert validate_definition(exported) == loaded
    assert loaded.field("copies").max_value == 10
    assert loaded.page_of("power_of_attorney").id == "subject"


def test_every_field_type_is_accepted():
    data = definition(
        page(
            "all",
            text("t", max_length=50),
            field("l", "long_text"),
            field("n", "number", min=0, max=99.5, decimal_places=1, unit={"ja": "個", "en": "pieces"}),
            field("d", "date", min="2000-01-01", max="today"),
            choice("s"),
            choice("m", kind="multiple_choice", min=1, max=2),
            field("nm", "name", kana=False),
            field("ad", "address"),
            field("p", "phone"),
            field("e", "email"),
            field("f", "file", max_size_mb=5, kinds=["pdf"]),
            field("g", "repeated_group", fields=[field("child", "name"), field("born", "date")], max_items=5),
            field("c", "consent", declaration={"ja": "誓約します。", "en": "I declare."}),
        )
    )
    loaded = validate_definition(data)
    kinds = [member.type for member in loaded.fields()]
    assert kinds == [
        "short_text", "long_text", "number", "date", "single_choice", "multiple_choice", "name", "address",
        "phone", "email", "file", "repeated_group", "consent",
    ]  # fmt: skip
    assert validate_definition(loaded.to_dict()) == loaded


def test_defaults_are_documented_ones():
    loaded = build(page("p", text("t"), field("g", "repeated_group", fields=[text("x")], max_items=3)))
    member = loaded.field("t")
    assert member.required is True and member.max_length == 200
    assert loaded.field("g").effective_min_items == 1


def test_a_bare_string_label_is_japanese():
    loaded = build(page("p", {"id": "t", "type": "short_text", "label": "氏名"}))
    assert loaded.field("t").label.get("en") == "氏名"


def test_docs_carry_the_same_example_as_the_fixture():
    text_ = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: juminhyo -->\s*```json\n(.*?)\n```", text_, flags=re.S)
    assert match, "docs/form-definition.md must contain the 住民票 example"
    assert json.loads(match.group(1)) == example_json("juminhyo")


def test_fee_table_check_accepts_known_codes():
    assert validate_definition(example_json("juminhyo"), fee_table={"juminhyo": 300}).fee is not None


# -- refused definitions: each problem with its location and message ----------------------------------------

BASE = definition(page("first", choice("kind"), text("note")), page("second", text("other")))


class Replace:
    def __init__(self, value: Any):
        self.value = value


def _with(mutate) -> Any:
    """BASE changed in place by `mutate`, or replaced when it returns Replace(...)."""
    data = copy.deepcopy(BASE)
    result = mutate(data)
    return result.value if isinstance(result, Replace) else data


def _field(data, page_index=0, field_index=0):
    return data["pages"][page_index]["fields"][field_index]


CASES = [
    ("not an object", lambda d: Replace([]), "$", "オブジェクト"),
    ("schema version", lambda d: d.update(schema=2), "$.schema", "対応していないスキーマのバージョン"),
    ("schema as bool", lambda d: d.update(schema=True), "$.schema", "対応していないスキーマのバージョン"),
    ("no pages", lambda d: d.pop("pages"), "$.pages", "必須のキーがありません"),
    ("unknown root key", lambda d: d.update(title="x"), "$.title", "使用できないキー"),
    ("empty pages", lambda d: d.update(pages=[]), "$.pages", "1個以上"),
    (
        "too many pages",
        lambda d: d.update(pages=[page(f"p{i}", text(f"f{i}")) for i in range(101)]),
        "$.pages",
        "100個以内",
    ),
    ("page id", lambda d: d["pages"][0].update(id="Page 1"), "$.pages[0].id", "IDは半角英小文字"),
    ("duplicate page id", lambda d: d["pages"][1].update(id="first"), "$.pages[1].id", "ページのIDが重複"),
    ("page without fields", lambda d: d["pages"][1].update(fields=[]), "$.pages[1].fields", "1個以上"),
    ("unknown type", lambda d: _field(d).update(type="signature"), "$.pages[0].fields[0].type", "不明な項目の種類"),
    ("field id with __", lambda d: _field(d, 0, 1).update(id="a__b"), "$.pages[0].fields[1].id", "IDは半角英小文字"),
    ("duplicate field id", lambda d: _field(d, 1).update(id="note"), "$.pages[1].fields[0].id", "IDが重複"),
    (
        "typo in a key",
        lambda d: _field(d, 0, 1).update(requried=True),
        "$.pages[0].fields[1].requried",
        "使用できないキー",
    ),
    (
        "required not bool",
        lambda d: _field(d, 0, 1).update(required="yes"),
        "$.pages[0].fields[1].required",
        "true か false",
    ),
    (
        "choice without options",
        lambda d: _field(d).pop("options"),
        "$.pages[0].fields[0].options",
        "options（選択肢）が必要",
    ),
    ("empty options", lambda d: _field(d).update(options=[]), "$.pages[0].fields[0].options", "1個以上"),
    (
        "duplicate option",
        lambda d: _field(d)["options"].append({"value": "a", "label": "重複"}),
        "$.pages[0].fields[0].options[3].value",
        "同じ値の選択肢",
    ),
    (
        "option value",
        lambda d: _field(d)["options"][0].update(value="あ"),
        "$.pages[0].fields[0].options[0].value",
        "選択肢の値は半角英数字",
    ),
    (
        "label without ja",
        lambda d: _field(d, 0, 1).update(label={"en": "x"}),
        "$.pages[0].fields[1].label.ja",
        "必須のキー",
    ),
    (
        "empty ja label",
        lambda d: _field(d, 0, 1).update(label={"ja": " "}),
        "$.pages[0].fields[1].label.ja",
        "日本語の文言",
    ),
    ("NUL in label", lambda d: _field(d, 0, 1).update(label="氏\x00名"), "$.pages[0].fields[1].label.ja", "制御文字"),
    (
        "10,000-char label",
        lambda d: _field(d, 0, 1).update(label="あ" * 10_000),
        "$.pages[0].fields[1].label.ja",
        "200文字以内",
    ),
    ("lone surrogate", lambda d: _field(d, 0, 1).update(label="\ud800"), "$.pages[0].fields[1].label.ja", "制御文字"),
    (
        "condition on unknown field",
        lambda d: _field(d, 0, 1).update(condition={"field": "nothing", "equals": "a"}),
        "$.pages[0].fields[1].condition.field",
        "この項目より前にある項目だけ",
    ),
    (
        "condition on a later field of the page",
        lambda d: _field(d, 0, 0).update(condition={"field": "note", "is_answered": True}),
        "$.pages[0].fields[0].condition.field",
        "この項目より前にある項目だけ",
    ),
    (
        "condition on itself",
        lambda d: _field(d, 0, 1).update(condition={"field": "note", "is_answered": True}),
        "$.pages[0].fields[1].condition.field",
        "この項目より前にある項目だけ",
    ),
    (
        "page condition on its own field",
        lambda d: d["pages"][1].update(condition={"field": "other", "is_answered": True}),
        "$.pages[1].condition.field",
        "この項目より前にある項目だけ",
    ),
    (
        "page condition on a later page",
        lambda d: d["pages"][0].update(condition={"field": "other", "is_answered": True}),
        "$.pages[0].condition.field",
        "この項目より前にある項目だけ",
    ),
    (
        "condition value not an option",
        lambda d: _field(d, 1).update(condition={"field": "kind", "equals": "z"}),
        "$.pages[1].fields[0].condition.equals",
        "選択肢にない値",
    ),
    (
        "condition with two operators",
        lambda d: _field(d, 1).update(condition={"field": "kind", "equals": "a", "in": ["b"]}),
        "$.pages[1].fields[0].condition",
        "どれか1つ",
    ),
    (
        "condition without operator",
        lambda d: _field(d, 1).update(condition={"field": "kind"}),
        "$.pages[1].fields[0].condition",
        "どれか1つ",
    ),
    (
        "condition nested too deep",
        lambda d: _field(d, 1).update(
            condition={"not": {"not": {"not": {"not": {"not": {"not": {"field": "kind", "equals": "a"}}}}}}}
        ),
        "$.pages[1].fields[0].condition.not.not.not.not.not.not",
        "入れ子が深すぎます",
    ),
    (
        "in with an empty list",
        lambda d: _field(d, 1).update(condition={"field": "kind", "in": []}),
        "$.pages[1].fields[0].condition.in",
        "1個以上",
    ),
    (
        "is_answered not bool",
        lambda d: _field(d, 1).update(condition={"field": "kind", "is_answered": "yes"}),
        "$.pages[1].fields[0].condition.is_answered",
        "true か false",
    ),
    (
        "number bounds reversed",
        lambda d: d["pages"][1]["fields"].append(field("n", "number", min=5, max=1)),
        "$.pages[1].fields[1].min",
        "min は max 以下",
    ),
    (
        "number NaN",
        lambda d: d["pages"][1]["fields"].append(field("n", "number", min=float("nan"))),
        "$.pages[1].fields[1].min",
        "数値で指定",
    ),
    (
        "huge number",
        lambda d: d["pages"][1]["fields"].append(field("n", "number", max=10**20)),
        "$.pages[1].fields[1].max",
        "大きすぎます",
    ),
    (
        "decimal bound on an integer",
        lambda d: d["pages"][1]["fields"].append(field("n", "number", max=1.5)),
        "$.pages[1].fields[1].max",
        "小数点以下の桁数",
    ),
    (
        "max_length zero",
        lambda d: _field(d, 0, 1).update(max_length=0),
        "$.pages[0].fields[1].max_length",
        "1から1000までの整数",
    ),
    (
        "date bound word",
        lambda d: d["pages"][1]["fields"].append(field("d", "date", min="yesterday")),
        "$.pages[1].fields[1].min",
        "today",
    ),
    (
        "consent not required",
        lambda d: d["pages"][1]["fields"].append(field("c", "consent", required=False, declaration="誓約します")),
        "$.pages[1].fields[1].required",
        "同意欄は必須",
    ),
    (
        "consent without declaration",
        lambda d: d["pages"][1]["fields"].append(field("c", "consent")),
        "$.pages[1].fields[1].declaration",
        "declaration",
    ),
    (
        "group without max_items",
        lambda d: d["pages"][1]["fields"].append(field("g", "repeated_group", fields=[text("x")])),
        "$.pages[1].fields[1].max_items",
        "max_items",
    ),
    (
        "group max_items too high",
        lambda d: d["pages"][1]["fields"].append(field("g", "repeated_group", fields=[text("x")], max_items=1000)),
        "$.pages[1].fields[1].max_items",
        "1から100までの整数",
    ),
    (
        "group in a group",
        lambda d: d["pages"][1]["fields"].append(
            field(
                "g",
                "repeated_group",
                max_items=3,
                fields=[field("h", "repeated_group", fields=[text("x")], max_items=2)],
            )
        ),
        "$.pages[1].fields[1].fields[0].type",
        "繰り返しグループの中には使えない種類",
    ),
    (
        "condition inside a group",
        lambda d: d["pages"][1]["fields"].append(
            field("g", "repeated_group", max_items=3, fields=[text("x", condition={"field": "kind", "equals": "a"})])
        ),
        "$.pages[1].fields[1].fields[0].condition",
        "繰り返しグループの中の項目には指定できません",
    ),
    (
        "unknown prefill",
        lambda d: _field(d, 0, 1).update(prefill="profile.password"),
        "$.pages[0].fields[1].prefill",
        "不明な事前入力元",
    ),
    (
        "prefill of the wrong type",
        lambda d: _field(d, 0, 1).update(prefill="profile.address"),
        "$.pages[0].fields[1].prefill",
        "使えない事前入力元",
    ),
    (
        "unknown file kind",
        lambda d: d["pages"][1]["fields"].append(field("f", "file", kinds=["exe"])),
        "$.pages[1].fields[1].kinds[0]",
        "不明なファイルの種類",
    ),
    (
        "file too large",
        lambda d: d["pages"][1]["fields"].append(field("f", "file", max_size_mb=500)),
        "$.pages[1].fields[1].max_size_mb",
        "50MB以下",
    ),
    (
        "condition with equals on a name",
        lambda d: d["pages"][1]["fields"].extend(
            [field("nm", "name"), text("after", condition={"field": "nm", "equals": "山田"})]
        ),
        "$.pages[1].fields[2].condition.equals",
        "is_answered だけ",
    ),
    ("fee not an object", lambda d: d.update(fee=[]), "$.fee", "オブジェクト"),
    ("fee code", lambda d: d.update(fee={"items": [{"code": "住民票"}]}), "$.fee.items[0].code", "手数料コードは"),
    (
        "fee with both quantities",
        lambda d: d.update(fee={"items": [{"code": "x", "quantity": 1, "quantity_field": "note"}]}),
        "$.fee.items[0]",
        "同時に指定できません",
    ),
    (
        "fee quantity field missing",
        lambda d: d.update(fee={"items": [{"code": "x", "quantity_field": "copies"}]}),
        "$.fee.items[0].quantity_field",
        "数量の項目が見つかりません",
    ),
    (
        "fee quantity from a text",
        lambda d: d.update(fee={"items": [{"code": "x", "quantity_field": "note"}]}),
        "$.fee.items[0].quantity_field",
        "整数の数値項目か繰り返しグループ",
    ),
    (
        "fee quantity without a maximum",
        lambda d: (
            d["pages"][1]["fields"].append(field("copies", "number", min=1)),
            d.update(fee={"items": [{"code": "x", "quantity_field": "copies"}]}),
        ),
        "$.fee.items[0].quantity_field",
        "上限（max",
    ),
    (
        "fee condition on unknown field",
        lambda d: d.update(fee={"items": [{"code": "x", "condition": {"field": "ghost", "is_answered": True}}]}),
        "$.fee.items[0].condition.field",
        "この項目より前にある項目だけ",
    ),
    (
        "fee quantity zero",
        lambda d: d.update(fee={"items": [{"code": "x", "quantity": 0}]}),
        "$.fee.items[0].quantity",
        "1から100まで",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "location", "message"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_refused_with_location_and_message(mutate, location, message):
    found = issues(_with(mutate))
    assert any(where == location and message in text_ for where, text_ in found), found


def test_unknown_fee_code_is_refused_when_the_fee_table_is_known():
    data = example_json("juminhyo")
    found = issues(data, fee_table={"koseki_zenbu": 450})
    assert found == [("$.fee.items[0].code", "手数料表にないコードです。 (juminhyo)")]


def test_every_problem_is_reported_at_once():
    data = _with(lambda d: (_field(d).update(type="signature"), _field(d, 1).update(id="Bad")))
    with pytest.raises(DefinitionError) as caught:
        validate_definition(data)
    locations = [issue.location for issue in caught.value.issues]
    assert "$.pages[0].fields[0].type" in locations and "$.pages[1].fields[0].id" in locations
    assert caught.value.location == "$.pages[0].fields[0].type"
    assert "$.pages[0].fields[0].type: 不明な項目の種類です。" in str(caught.value)


def test_too_many_fields_in_all():
    pages = [page(f"p{i}", *[text(f"f{i}_{j}") for j in range(100)]) for i in range(6)]
    found = issues(definition(*pages))
    assert any("全体で500個まで" in message for _where, message in found)


@pytest.mark.parametrize("hostile", [None, "text", 12, {"schema": 1, "pages": "many"}, {"schema": 1, "pages": [None]}])
def test_wrong_json_shapes_raise_definition_error_not_crash(hostile):
    with pytest.raises(DefinitionError):
        validate_definition(hostile)


def test_deeply_nested_json_is_refused_without_recursion_error():
    condition: dict[str, Any] = {"field": "kind", "equals": "a"}
    for _ in range(5000):
        condition = {"not": condition}
    data = _with(lambda d: _field(d, 1).update(condition=condition))
    found = issues(data)
    assert any("入れ子が深すぎます" in message for _where, message in found)


@pytest.mark.usefixtures("english")
def test_messages_are_english_when_english_is_active():
    found = issues(_with(lambda d: _field(d).update(type="signature")))
    assert found == [("$.pages[0].fields[0].type", "Unknown question type. (signature)")]


def test_valid_definitions_are_read_once_and_changes_are_seen():
    import copy

    from madoguchi.procedures.engine.definition import validate_definition
    from madoguchi.procedures.engine.examples import example_json

    data = example_json("juminhyo")
    first = validate_definition(data)
    assert validate_definition(copy.deepcopy(data)) is first  # same JSON, same frozen result
    changed = copy.deepcopy(data)
    changed["pages"][0]["title"] = {"ja": "変更後の見出し"}
    assert validate_definition(changed) is not first
    assert validate_definition(changed).pages[0].title.get("ja") == "変更後の見出し"
    broken = copy.deepcopy(data)
    broken["pages"][0]["fields"][0]["type"] = "no_such_type"
    for _attempt in range(2):  # a failure is never cached: it is reported every time
        with pytest.raises(DefinitionError):
            validate_definition(broken)
