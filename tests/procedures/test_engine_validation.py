"""Whole-submission validation: the server re-checks every visible field, drops hidden ones, and refuses
hostile input with messages rather than crashes."""

from __future__ import annotations

import copy

import pytest

from madoguchi.procedures.engine import clean_answers, load_example, strip_hidden, validate_answers

from .test_engine_definition import build, field, page, text
from .test_engine_i18n import english  # noqa: F401  (fixture)

JUMINHYO = load_example("juminhyo")

PERSON = {"family_name": "南砺", "given_name": "花子", "family_name_kana": "ナント", "given_name_kana": "ハナコ"}
ADDRESS = {
    "postal_code": "9391596",
    "prefecture": "富山県",
    "city": "南砺市",
    "town": "苗島",
    "street": "4880",
    "building": "",
}
PROXY_LETTER = {"name": "inin.pdf", "size": 120_000, "content_type": "application/pdf", "ref": "uploads/2026/abc"}


def agent_answers() -> dict:
    return copy.deepcopy(
        {
            "applicant_name": PERSON,
            "applicant_address": ADDRESS,
            "applicant_phone": "0763232000",
            "relationship": "agent",
            "subject_name": {**PERSON, "given_name": "太郎", "given_name_kana": "タロウ"},
            "subject_birth_date": "1950-01-02",
            "subject_address": ADDRESS,
            "power_of_attorney": PROXY_LETTER,
            "scope": "individual",
            "copies": 2,
            "include": ["zokugara"],
            "purpose": "work",
            "delivery": "post",
            "declaration": True,
        }
    )


def test_a_complete_submission_is_valid_and_normalised():
    answers = agent_answers()
    answers["applicant_phone"] = "0763-23-2000"
    answers["applicant_name"]["given_name_kana"] = "はなこ"
    answers["subject_birth_date"] = "昭和25年1月2日"
    result = clean_answers(JUMINHYO, answers)
    assert result.errors == {}
    assert result.answers["applicant_phone"] == "0763232000"
    assert result.answers["applicant_name"]["given_name_kana"] == "ハナコ"
    assert result.answers["subject_birth_date"] == "1950-01-02"
    assert result.answers["power_of_attorney"] == PROXY_LETTER


def test_stored_answers_validate_again_unchanged():
    first = clean_answers(JUMINHYO, agent_answers())
    second = clean_answers(JUMINHYO, first.answers)
    assert second.errors == {} and second.answers == first.answers


def test_every_required_field_of_every_visible_page_is_checked():
    errors = validate_answers(JUMINHYO, {"relationship": "agent"})
    assert errors["applicant_name__family_name"] == ["姓を入力してください。"]
    assert errors["applicant_phone"] == ["電話番号を入力してください。"]
    assert errors["subject_birth_date"] == ["生年月日を入力してください。"]
    assert errors["power_of_attorney"] == ["委任状のファイルを選択してください。"]
    assert errors["copies"] == ["通数を入力してください。"]
    assert errors["declaration"] == ["内容を確認し、同意する場合はチェックを入れてください。"]
    assert "applicant_email" not in errors  # optional


def test_hidden_pages_and_fields_are_neither_required_nor_kept():
    answers = agent_answers()
    answers["relationship"] = "self"
    answers["subject_name"] = "not even the right type"
    answers["power_of_attorney"] = {"name": "../../etc/passwd", "size": -1}
    result = clean_answers(JUMINHYO, answers)
    assert result.errors == {}
    assert not {"subject_name", "subject_birth_date", "subject_address", "power_of_attorney"} & set(result.answers)
    household = agent_answers() | {"relationship": "household"}
    result = clean_answers(JUMINHYO, household)
    assert result.errors == {}
    assert "subject_name" in result.answers and "power_of_attorney" not in result.answers


def test_same_page_condition_applies_on_the_server():
    answers = agent_answers() | {"purpose": "other"}
    assert validate_answers(JUMINHYO, answers) == {"purpose_detail": ["使用目的の内容を入力してください。"]}
    answers |= {"purpose": "work", "purpose_detail": "x" * 10_000}
    result = clean_answers(JUMINHYO, answers)
    assert result.errors == {} and "purpose_detail" not in result.answers


def test_strip_hidden_matches_what_clean_answers_keeps():
    answers = agent_answers() | {"relationship": "self"}
    assert set(strip_hidden(JUMINHYO, answers)) == set(clean_answers(JUMINHYO, answers).answers)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"copies": [2]}, {"copies": ["数値で指定してください。"]}),
        ({"copies": True}, {"copies": ["数値で指定してください。"]}),
        ({"copies": "2"}, {}),
        ({"copies": 0}, {"copies": ["通数は1から10までの数を入力してください。"]}),
        ({"copies": 10**100}, {"copies": ["通数の数が大きすぎます。"]}),
        ({"copies": float("inf")}, {"copies": ["通数は数字で入力してください（例：3）。"]}),
        ({"copies": 2.5}, {"copies": ["通数は整数で入力してください。"]}),
        ({"applicant_phone": 763232000}, {"applicant_phone": ["文字列で指定してください。"]}),
        ({"applicant_name": "南砺 花子"}, {"applicant_name": ["オブジェクト（{…}）で指定してください。"]}),
        ({"applicant_name": {**PERSON, "title": "様"}}, {"applicant_name": ["使用できないキーが含まれています。"]}),
        (
            {"applicant_name": {**PERSON, "family_name": 1}},
            {"applicant_name__family_name": ["文字列で指定してください。"]},
        ),
        ({"declaration": "yes"}, {"declaration": ["true か false で指定してください。"]}),
        ({"declaration": False}, {"declaration": ["内容を確認し、同意する場合はチェックを入れてください。"]}),
        ({"include": "zokugara"}, {"include": ["配列（[…]）で指定してください。"]}),
        ({"include": ["zokugara", "mynumber"]}, {"include": ["記載が必要な事項は選択肢の中から選んでください。"]}),
        ({"include": ["zokugara"] * 1000}, {"include": ["記載が必要な事項は選択肢の中から選んでください。"]}),
        ({"relationship": "stranger"}, {"relationship": ["証明書が必要な方は選択肢の中から選んでください。"]}),
        ({"subject_birth_date": "2026-02-30"}, {"subject_birth_date": ["2月に30日はありません。"]}),
        (
            {"applicant_phone": "0763\x00232000"},
            {"applicant_phone": ["使用できない文字（制御文字）が含まれています。"]},
        ),
        (
            {"applicant_address": {**ADDRESS, "street": "あ" * 10_000}},
            {"applicant_address__street": ["番地以下は100文字以内で入力してください（現在10000文字）。"]},
        ),
        (
            {"power_of_attorney": {**PROXY_LETTER, "content_type": "application/x-msdownload"}},
            {"power_of_attorney": ["委任状は次の形式のファイルを選択してください：PDF、画像（JPEG・PNG・WebP）"]},
        ),
        (
            {"power_of_attorney": {**PROXY_LETTER, "size": 50 * 1024 * 1024}},
            {"power_of_attorney": ["委任状のファイルは10MB以下にしてください。"]},
        ),
        (
            {"power_of_attorney": {**PROXY_LETTER, "size": "120000"}},
            {"power_of_attorney": ["ファイルの情報が正しくありません。もう一度ファイルを選択してください。"]},
        ),
        (
            {"power_of_attorney": {**PROXY_LETTER, "name": "../../etc/passwd"}},
            {"power_of_attorney": ["ファイルの情報が正しくありません。もう一度ファイルを選択してください。"]},
        ),
        (
            {"power_of_attorney": {**PROXY_LETTER, "path": "/tmp/x"}},
            {"power_of_attorney": ["ファイルの情報が正しくありません。もう一度ファイルを選択してください。"]},
        ),
        ({"power_of_attorney": "inin.pdf"}, {"power_of_attorney": ["オブジェクト（{…}）で指定してください。"]}),
        ({"is_admin": True}, {"is_admin": ["この申請書にない項目です。"]}),
    ],
)
def test_wrong_and_hostile_values_are_refused_with_messages(changes, expected):
    assert validate_answers(JUMINHYO, agent_answers() | changes) == expected


@pytest.mark.parametrize("hostile", [None, [], "answers", 42])
def test_answers_that_are_not_an_object(hostile):
    assert validate_answers(JUMINHYO, hostile) == {"__all__": ["回答はオブジェクト（{…}）で送ってください。"]}


def test_too_many_keys():
    answers = {f"key{i}": i for i in range(2000)}
    assert validate_answers(JUMINHYO, answers) == {"__all__": ["回答の項目が多すぎます。"]}


def test_unknown_keys_reported_are_capped():
    answers = agent_answers() | {f"x{i}": 1 for i in range(500)}
    assert len(validate_answers(JUMINHYO, answers)) == 20


GROUP = build(
    page(
        "p",
        text("applicant"),
        field(
            "children",
            "repeated_group",
            label={"ja": "お子さん", "en": "Children"},
            max_items=5,
            fields=[text("nickname", max_length=20), field("age", "number", min=0, max=18, required=False)],
        ),
    )
)


def test_group_items_are_checked_one_by_one():
    result = clean_answers(GROUP, {"applicant": "親", "children": [{"nickname": "いち", "age": 3}, {"nickname": "に"}]})
    assert result.errors == {}
    assert result.answers["children"] == [{"nickname": "いち", "age": 3}, {"nickname": "に"}]
    errors = validate_answers(GROUP, {"applicant": "親", "children": [{"nickname": "いち"}, {"age": 40}]})
    assert errors == {
        "children__1__nickname": ["項目（お子さん 2）を入力してください。"],
        "children__1__age": ["ageの項目（お子さん 2）は0から18までの数を入力してください。"],
    }


def test_a_thousand_group_items_are_refused_by_max_items():
    answers = {"applicant": "親", "children": [{"nickname": "子"}] * 1000}
    assert validate_answers(GROUP, answers) == {"children": ["お子さんは5件まで入力できます。"]}


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        ("none", {"children": ["配列（[…]）で指定してください。"]}),
        (["x"], {"children__0": ["オブジェクト（{…}）で指定してください。"]}),
        ([{"nickname": "子", "secret": 1}], {"children__0": ["使用できないキーが含まれています。"]}),
        ([], {"children": ["お子さんを1件以上入力してください。"]}),
    ],
)
def test_group_shapes(children, expected):
    assert validate_answers(GROUP, {"applicant": "親", "children": children}) == expected


@pytest.mark.usefixtures("english")
def test_messages_in_english():
    errors = validate_answers(JUMINHYO, agent_answers() | {"copies": 0, "unknown": 1}, language="en")
    assert errors == {
        "copies": ["Enter number of copies between 1 and 10."],
        "unknown": ["This form has no such question."],
    }
