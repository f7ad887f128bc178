"""Check your answers: visible pages only, values the way residents read them, in Japanese and English."""

from __future__ import annotations

import pytest

from madoguchi.procedures.engine import clean_answers, load_example, summarise

from .test_engine_definition import build, field, page
from .test_engine_i18n import english  # noqa: F401  (fixture)
from .test_engine_validation import agent_answers

JUMINHYO = load_example("juminhyo")


def rows(sections):
    return {section.page_id: [(row.label, row.value) for row in section.rows] for section in sections}


def test_japanese_summary():
    answers = clean_answers(JUMINHYO, agent_answers()).answers
    summary = rows(summarise(JUMINHYO, answers, language="ja"))
    assert summary["applicant"] == [
        ("氏名", "南砺\u3000花子（ナント\u3000ハナコ）"),
        ("住所", "〒939-1596 富山県南砺市苗島4880"),
        ("電話番号", "0763-23-2000"),
        ("メールアドレス", "未回答"),
    ]
    assert summary["subject"] == [
        ("氏名", "南砺\u3000太郎（ナント\u3000タロウ）"),
        ("生年月日", "昭和25年1月2日（1950-01-02）"),
        ("住所", "〒939-1596 富山県南砺市苗島4880"),
        ("委任状", "inin.pdf（118 KB）"),
    ]
    assert summary["certificate"] == [
        ("記載する方", "必要な方のみ（世帯の一部）"),
        ("通数", "2通"),
        ("記載が必要な事項", "世帯主の氏名・続柄"),
        ("使用目的", "勤務先への提出"),
    ]
    assert summary["declaration"] == [("上記の内容に同意して申請します", "同意します")]


@pytest.mark.usefixtures("english")
def test_english_summary():
    answers = clean_answers(JUMINHYO, agent_answers()).answers
    sections = summarise(JUMINHYO, answers, language="en")
    summary = rows(sections)
    assert sections[0].title == "About you"
    assert summary["applicant"][0] == ("Full name", "南砺 花子 (ナント ハナコ)")
    assert summary["applicant"][3] == ("Email address", "Not answered")
    assert summary["subject"][1] == ("Date of birth", "2 January 1950")
    assert summary["certificate"][1] == ("Number of copies", "2 copies")
    assert summary["whose"] == [("The certificate is for", "Someone in another household (I am their proxy)")]
    assert summary["declaration"] == [("I agree and send this request", "Agreed")]


def test_hidden_pages_and_fields_are_left_out_with_page_ids_for_change_links():
    answers = agent_answers() | {"relationship": "self"}
    sections = summarise(JUMINHYO, answers, language="ja")
    assert [s.page_id for s in sections] == ["applicant", "whose", "certificate", "delivery", "declaration"]
    household = summarise(JUMINHYO, agent_answers() | {"relationship": "household"}, language="ja")
    subject = next(s for s in household if s.page_id == "subject")
    assert [row.field_id for row in subject.rows] == ["subject_name", "subject_birth_date"]


def test_groups_are_listed_item_by_item():
    definition = build(
        page(
            "kids",
            field(
                "children",
                "repeated_group",
                label={"ja": "お子さん", "en": "Children"},
                item_label={"ja": "子ども", "en": "Child"},
                max_items=5,
                fields=[
                    field("name", "name", label={"ja": "氏名", "en": "Name"}),
                    field("born", "date", label={"ja": "生年月日", "en": "Date of birth"}),
                ],
            ),
            field("memo", "long_text", label="メモ", required=False),
        )
    )
    answers = {
        "children": [
            {
                "name": {
                    "family_name": "南砺",
                    "given_name": "一郎",
                    "family_name_kana": "ナント",
                    "given_name_kana": "イチロウ",
                },
                "born": "2019-05-01",
            },
            {"born": "2021-02-03"},
        ],
        "memo": "一行目\n二行目",
    }
    (section,) = summarise(definition, answers, language="ja")
    group_row, memo_row = section.rows
    assert (group_row.label, group_row.value) == ("お子さん", "2件")
    assert [item.label for item in group_row.items] == ["子ども 1", "子ども 2"]
    assert [(r.label, r.value) for r in group_row.items[0].rows] == [
        ("氏名", "南砺\u3000一郎（ナント\u3000イチロウ）"),
        ("生年月日", "令和元年5月1日（2019-05-01）"),
    ]
    assert [(r.value, r.answered) for r in group_row.items[1].rows] == [
        ("未回答", False),
        ("令和3年2月3日（2021-02-03）", True),
    ]
    assert memo_row.value == "一行目\n二行目"


def test_values_of_the_wrong_shape_do_not_crash_the_summary():
    answers = {"applicant_name": "text", "applicant_address": ["x"], "applicant_phone": 123, "copies": "many"}
    summary = rows(summarise(JUMINHYO, answers, language="ja"))
    assert summary["applicant"][0] == ("氏名", "text")
    assert summary["certificate"][1] == ("通数", "many通")
