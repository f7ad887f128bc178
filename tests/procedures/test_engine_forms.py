"""Page forms: every field type valid and invalid, specific messages in Japanese and English, composite and
repeated fields, actions without JavaScript, and rendering through the shared {% field %} component."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.template import engines
from django.utils import timezone

from madoguchi.procedures.engine import UnknownPageError, load_example, page_form

from .test_engine_definition import build, choice, field, page, text
from .test_engine_i18n import english  # noqa: F401  (fixture)

JUMINHYO = load_example("juminhyo")

APPLICANT = {
    "applicant_name__family_name": "南砺",
    "applicant_name__given_name": "花子",
    "applicant_name__family_name_kana": "なんと",
    "applicant_name__given_name_kana": "ﾊﾅｺ",
    "applicant_address__postal_code": "９３９－１５９６",
    "applicant_address__prefecture": "",
    "applicant_address__city": "",
    "applicant_address__town": "",
    "applicant_address__street": "4880",
    "applicant_phone": "0763-23-2000",
}

EVERYTHING = build(
    page(
        "all",
        text("t", label={"ja": "通称", "en": "Nickname"}, max_length=10),
        field("l", "long_text", label={"ja": "ご意見", "en": "Comments"}, required=False),
        field("n", "number", label={"ja": "人数", "en": "Number of people"}, min=1, max=20),
        field("dec", "number", label={"ja": "体重", "en": "Weight"}, decimal_places=1, required=False),
        field("d", "date", label={"ja": "希望日", "en": "Preferred date"}, max="today"),
        choice("s", ("a", "b"), label={"ja": "区分", "en": "Type"}),
        choice("m", ("x", "y", "z"), kind="multiple_choice", label={"ja": "用途", "en": "Uses"}, max=2, required=False),
        field("p", "phone", label={"ja": "電話番号", "en": "Phone number"}),
        field("e", "email", label={"ja": "メールアドレス", "en": "Email address"}, required=False),
        field(
            "c",
            "consent",
            label={"ja": "同意", "en": "Agreement"},
            declaration={"ja": "誓約します。", "en": "I declare."},
        ),
    )
)

VALID = {
    "t": "たろう",
    "l": "一行目\r\n二行目",
    "n": "１２",
    "dec": "3.5",
    "d": "R2.4.1",
    "s": "b",
    "m": ["y", "x"],
    "p": "(0763)23-2000",
    "e": "taro@example.jp",
    "c": "on",
}

KIDS = build(
    page(
        "kids",
        field(
            "children",
            "repeated_group",
            label={"ja": "お子さん", "en": "Children"},
            item_label={"ja": "子ども", "en": "Child"},
            max_items=3,
            fields=[field("name", "name"), field("born", "date", label={"ja": "生年月日", "en": "Date of birth"})],
        ),
    )
)


def child(index: int, family: str = "南砺", given: str = "一郎", born: str = "2020-01-01") -> dict[str, str]:
    prefix = f"children__{index}__"
    return {
        f"{prefix}name__family_name": family,
        f"{prefix}name__given_name": given,
        f"{prefix}name__family_name_kana": "ナント",
        f"{prefix}name__given_name_kana": "イチロウ",
        f"{prefix}born": born,
    }


def render(form, template: str = "{% load madoguchi_ui %}{% error_summary form %}{{ form }}") -> str:
    return engines["django"].from_string(template).render({"form": form})


def errors_of(definition, page_id, data, **kwargs) -> dict[str, list[str]]:
    form = page_form(definition, page_id, data=data, **kwargs)
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


# -- every simple type ------------------------------------------------------------------------------------


def test_valid_values_become_json_answers():
    form = page_form(EVERYTHING, "all", data=VALID)
    assert form.is_valid(), form.errors
    assert form.answers() == {
        "t": "たろう",
        "l": "一行目\n二行目",
        "n": 12,
        "dec": 3.5,
        "d": "2020-04-01",
        "s": "b",
        "m": ["x", "y"],  # in the options' order
        "p": "0763232000",
        "e": "taro@example.jp",
        "c": True,
    }


def test_answers_are_json_serialisable():
    form = page_form(EVERYTHING, "all", data=VALID)
    assert form.is_valid()
    assert json.loads(json.dumps(form.answers(), ensure_ascii=False)) == form.answers()


def test_optional_fields_left_empty_are_not_answers():
    data = {**VALID, "l": "", "dec": "", "m": [], "e": ""}
    form = page_form(EVERYTHING, "all", data=data)
    assert form.is_valid(), form.errors
    assert not {"l", "dec", "m", "e"} & set(form.answers())


def test_required_fields_say_what_is_missing():
    assert errors_of(EVERYTHING, "all", {}) == {
        "t": ["通称を入力してください。"],
        "n": ["人数を入力してください。"],
        "d": ["希望日を入力してください。"],
        "s": ["区分を選択してください。"],
        "p": ["電話番号を入力してください。"],
        "c": ["内容を確認し、同意する場合はチェックを入れてください。"],
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("t", "あ" * 11, "通称は10文字以内で入力してください（現在11文字）。"),
        ("t", "改行\nあり", "使用できない文字（制御文字）が含まれています。"),
        ("t", "nul\x00", "使用できない文字（制御文字）が含まれています。"),
        ("l", "あ" * 2001, "ご意見は2000文字以内で入力してください（現在2001文字）。"),
        ("n", "abc", "人数は数字で入力してください（例：3）。"),
        ("n", "1.5", "人数は整数で入力してください。"),
        ("n", "0", "人数は1から20までの数を入力してください。"),
        ("n", "21", "人数は1から20までの数を入力してください。"),
        ("n", "9" * 400, "人数の数が大きすぎます。"),
        ("n", "1e5", "人数は数字で入力してください（例：3）。"),
        ("dec", "3.25", "体重は小数点以下1桁までで入力してください。"),
        ("d", "2026-02-30", "2月に30日はありません。"),
        (
            "d",
            "きのう",
            "日付の形式が正しくありません。「令和8年4月1日」「R8.4.1」「2026-04-01」のように入力してください。",
        ),
        ("s", "zzz", "区分は選択肢の中から選んでください。"),
        ("m", ["x", "nope"], "用途は選択肢の中から選んでください。"),
        ("m", ["x", "y", "z"], "用途は2個まで選んでください。"),
        ("p", "12345", "電話番号は0から始まる10桁または11桁の数字で入力してください（例：0763-23-2000）。"),
        ("e", "taro@", "メールアドレスの形式が正しくありません（例：taro@example.jp）。"),
    ],
)
def test_invalid_values_get_specific_messages(name, value, message):
    assert errors_of(EVERYTHING, "all", {**VALID, name: value}) == {name: [message]}


def test_future_date_refused_when_max_is_today():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    found = errors_of(EVERYTHING, "all", {**VALID, "d": tomorrow.isoformat()})
    assert list(found) == ["d"] and found["d"][0].endswith("以前の日付を入力してください。")


def test_numbers_accept_full_width_and_separators():
    form = page_form(build(page("p", field("n", "number", max=10**12))), "p", data={"n": "１，０００，０００"})
    assert form.is_valid() and form.answers() == {"n": 1_000_000}


@pytest.mark.usefixtures("english")
def test_messages_and_labels_are_english_when_english_is_active():
    form = page_form(EVERYTHING, "all", data={**VALID, "n": "0", "s": ""}, language="en")
    assert not form.is_valid()
    assert form.errors["n"] == ["Enter number of people between 1 and 20."]
    assert form.errors["s"] == ["Select type."]
    assert form.fields["n"].label == "Number of people"
    html = render(form)
    assert "Enter number of people between 1 and 20." in html
    assert "Nickname" in html and "通称" not in html


# -- 氏名 --------------------------------------------------------------------------------------------------


def test_name_expands_into_parts_and_kana_is_normalised():
    form = page_form(JUMINHYO, "applicant", data=APPLICANT)
    assert form.is_valid(), form.errors
    assert form.answers()["applicant_name"] == {
        "family_name": "南砺",
        "given_name": "花子",
        "family_name_kana": "ナント",
        "given_name_kana": "ハナコ",
    }


@pytest.mark.parametrize(
    ("part", "value", "message"),
    [
        ("family_name_kana", "nanto", "セイはカタカナで入力してください。"),
        ("given_name_kana", "花子", "メイはカタカナで入力してください。"),
        ("given_name", "", "名を入力してください。"),
        ("family_name_kana", "", "セイ（フリガナ）を入力してください。"),
        ("family_name", "あ" * 51, "姓は50文字以内で入力してください（現在51文字）。"),
    ],
)
def test_name_part_messages(part, value, message):
    found = errors_of(JUMINHYO, "applicant", {**APPLICANT, f"applicant_name__{part}": value})
    assert found == {f"applicant_name__{part}": [message]}


@pytest.mark.usefixtures("english")
def test_kana_message_in_english():
    found = errors_of(JUMINHYO, "applicant", {**APPLICANT, "applicant_name__family_name_kana": "nanto"}, language="en")
    assert found == {"applicant_name__family_name_kana": ["Enter family name (katakana) in katakana."]}


def test_optional_name_is_all_or_nothing():
    definition = build(page("p", field("other", "name", required=False), text("x", required=False)))
    assert page_form(definition, "p", data={"x": ""}).is_valid()
    found = errors_of(definition, "p", {"other__family_name": "山田"})
    assert set(found) == {"other__given_name", "other__family_name_kana", "other__given_name_kana"}


def test_name_without_kana():
    definition = build(page("p", field("nm", "name", kana=False)))
    form = page_form(definition, "p", data={"nm__family_name": "Smith", "nm__given_name": "Anna"})
    assert "nm__family_name_kana" not in form.fields
    assert form.is_valid() and form.answers() == {"nm": {"family_name": "Smith", "given_name": "Anna"}}


# -- 住所 --------------------------------------------------------------------------------------------------


def test_postcode_fills_prefecture_city_and_town():
    form = page_form(JUMINHYO, "applicant", data=APPLICANT)
    assert form.is_valid(), form.errors
    assert form.answers()["applicant_address"] == {
        "postal_code": "9391596",
        "prefecture": "富山県",
        "city": "南砺市",
        "town": "苗島",
        "street": "4880",
        "building": "",
    }


def test_typed_town_is_kept_over_the_lookup():
    form = page_form(JUMINHYO, "applicant", data={**APPLICANT, "applicant_address__town": "苗島字東"})
    assert form.is_valid() and form.answers()["applicant_address"]["town"] == "苗島字東"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"applicant_address__postal_code": "12345"},
            {"applicant_address__postal_code": ["郵便番号は7桁の数字で入力してください（例：939-1692）。"]},
        ),
        (
            {"applicant_address__postal_code": "0000000"},
            {
                "applicant_address__postal_code": [
                    "この郵便番号の住所が見つかりませんでした。郵便番号をご確認いただくか、都道府県と市区町村を入力してください。"
                ]
            },
        ),
        (
            {"applicant_address__prefecture": "石川県", "applicant_address__city": "金沢市"},
            {
                "applicant_address__prefecture": [
                    "郵便番号939-1596は富山県の番号です。郵便番号か都道府県をご確認ください。"
                ]
            },
        ),
        ({"applicant_address__street": ""}, {"applicant_address__street": ["番地以下を入力してください。"]}),
        (
            {"applicant_address__prefecture": "ムー大陸"},
            {"applicant_address__prefecture": ["都道府県は選択肢の中から選んでください。"]},
        ),
    ],
)
def test_address_messages(changes, expected):
    assert errors_of(JUMINHYO, "applicant", {**APPLICANT, **changes}) == expected


def test_unknown_postcode_is_fine_when_prefecture_and_city_are_typed():
    data = {**APPLICANT, "applicant_address__postal_code": "0000000"}
    data.update({"applicant_address__prefecture": "富山県", "applicant_address__city": "南砺市"})
    form = page_form(JUMINHYO, "applicant", data=data)
    assert form.is_valid(), form.errors


def test_lookup_action_fills_the_address_without_validating():
    data = {"_action": "lookup:applicant_address", "applicant_address__postal_code": "9391692"}
    form = page_form(JUMINHYO, "applicant", data=data)
    assert form.action is not None and form.action.kind == "lookup"
    assert not form.is_valid()
    assert dict(form.errors) == {}  # nothing else is checked yet
    html = render(form)
    assert '<option value="富山県" selected>' in html
    assert 'value="南砺市"' in html and 'value="荒木"' in html


def test_lookup_of_an_unknown_postcode_says_so():
    data = {"_action": "lookup:applicant_address", "applicant_address__postal_code": "000-0000"}
    form = page_form(JUMINHYO, "applicant", data=data)
    assert not form.is_valid()
    assert form.errors["applicant_address__postal_code"][0].startswith("この郵便番号の住所が見つかりませんでした")


def test_lookup_inside_a_group_item():
    definition = build(
        page("p", field("homes", "repeated_group", max_items=2, fields=[field("addr", "address", label="住所")]))
    )
    data = {"homes__items": "2", "homes__1__addr__postal_code": "1000001", "_action": "lookup:homes__1__addr"}
    form = page_form(definition, "p", data=data)
    assert form.action is not None and not form.is_valid()
    assert form["homes__1__addr__city"].value() == "千代田区"
    assert 'value="lookup:homes__1__addr"' in render(form)
    outside = page_form(definition, "p", data={**data, "_action": "lookup:homes__5__addr"})
    assert outside.action is None  # no such item: an ordinary submit


def test_postcode_lookup_works_from_another_thread():
    import threading

    from madoguchi.procedures.engine import lookup_postcode

    lookup_postcode.cache_clear()
    found = []
    worker = threading.Thread(target=lambda: found.append(lookup_postcode("1000001")))
    worker.start()
    worker.join()
    assert found[0].city == "千代田区"
    assert lookup_postcode("0000000") is None
    assert lookup_postcode("abc") is None


# -- files ------------------------------------------------------------------------------------------------

AGENT = {"relationship": "agent"}
SUBJECT = {
    "subject_name__family_name": "南砺",
    "subject_name__given_name": "太郎",
    "subject_name__family_name_kana": "ナント",
    "subject_name__given_name_kana": "タロウ",
    "subject_birth_date": "昭和25年1月2日",
    "subject_address__postal_code": "9391596",
    "subject_address__street": "1",
}


def test_file_upload_becomes_metadata():
    upload = SimpleUploadedFile("委任状.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    form = page_form(JUMINHYO, "subject", data=SUBJECT, files={"power_of_attorney": upload}, answers=AGENT)
    assert form.is_multipart()
    assert form.is_valid(), form.errors
    assert form.answers()["power_of_attorney"] == {"name": "委任状.pdf", "size": 13, "content_type": "application/pdf"}
    assert form.answers()["subject_birth_date"] == "1950-01-02"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("a.exe", b"MZ", content_type="application/x-msdownload"),
            "委任状は次の形式のファイルを選択してください：PDF、画像（JPEG・PNG・WebP）",
        ),
        (
            SimpleUploadedFile("big.pdf", b"x" * (10 * 1024 * 1024 + 1), content_type="application/pdf"),
            "委任状のファイルは10MB以下にしてください。",
        ),
        (
            SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"),
            "ファイルが空です。内容のあるファイルを選択してください。",
        ),
        (None, "委任状のファイルを選択してください。"),
    ],
)
def test_file_refusals(upload, message):
    files = {"power_of_attorney": upload} if upload is not None else {}
    assert errors_of(JUMINHYO, "subject", SUBJECT, files=files, answers=AGENT) == {"power_of_attorney": [message]}


def test_earlier_upload_stands_when_no_new_file_is_sent():
    earlier = {"name": "inin.jpg", "size": 2048, "content_type": "image/jpeg", "ref": "uploads/abc"}
    form = page_form(JUMINHYO, "subject", data=SUBJECT, initial={"power_of_attorney": earlier}, answers=AGENT)
    assert form.is_valid(), form.errors
    assert form.answers()["power_of_attorney"] == earlier
    assert "提出済みのファイル：inin.jpg" in render(
        page_form(JUMINHYO, "subject", initial={**AGENT, "power_of_attorney": earlier})
    )


def test_file_field_is_absent_when_an_earlier_answer_hides_it():
    form = page_form(JUMINHYO, "subject", data=SUBJECT, answers={"relationship": "household"})
    assert "power_of_attorney" not in form.fields and "subject_address__postal_code" not in form.fields
    assert form.is_valid(), form.errors
    assert set(form.answers()) == {"subject_name", "subject_birth_date"}


# -- same-page conditions ---------------------------------------------------------------------------------

CERTIFICATE = {"scope": "individual", "copies": "2", "purpose": "other", "purpose_detail": "パスポート申請"}


def test_field_shown_by_an_answer_on_the_same_page_is_required_then():
    found = errors_of(JUMINHYO, "certificate", {**CERTIFICATE, "purpose_detail": ""})
    assert found == {"purpose_detail": ["使用目的の内容を入力してください。"]}
    form = page_form(JUMINHYO, "certificate", data=CERTIFICATE)
    assert form.is_valid() and form.answers()["purpose_detail"] == "パスポート申請"


def test_field_hidden_by_an_answer_on_the_same_page_is_ignored_and_discarded():
    data = {**CERTIFICATE, "purpose": "work", "purpose_detail": "\x00" * 10_000}
    form = page_form(JUMINHYO, "certificate", data=data)
    assert form.is_valid(), form.errors
    assert "purpose_detail" not in form.answers()
    stored = {"purpose": "other", "purpose_detail": "前の回答", "relationship": "self"}
    assert "purpose_detail" not in form.merge_into(stored)
    assert form.merge_into(stored)["relationship"] == "self"


def test_same_page_condition_is_marked_for_scripts_and_explained_without_them():
    html = render(page_form(JUMINHYO, "certificate"))
    assert "data-show-if=" in html and "&quot;purpose&quot;" in html
    assert "「使用目的」で「その他」を選んだ方のみお答えください。" in html


# -- repeated groups --------------------------------------------------------------------------------------


def test_group_answers_are_a_list_of_items():
    data = {"children__items": "2", **child(0), **child(1, given="二郎", born="令和3年5月6日")}
    form = page_form(KIDS, "kids", data=data)
    assert form.is_valid(), form.errors
    items = form.answers()["children"]
    assert [item["name"]["given_name"] for item in items] == ["一郎", "二郎"]
    assert items[1]["born"] == "2021-05-06"


def test_group_sub_field_errors_name_the_item():
    data = {"children__items": "2", **child(0), **child(1, given="", born="2020-13-01")}
    found = errors_of(KIDS, "kids", data)
    assert found == {
        "children__1__name__given_name": ["名（子ども 2）を入力してください。"],
        "children__1__born": ["月は1から12の数字で入力してください。"],
    }
    assert page_form(KIDS, "kids", data=data).fields["children__1__born"].label == "生年月日（子ども 2）"


def test_add_action_adds_an_item_and_keeps_what_was_typed():
    data = {"children__items": "1", **child(0, given="一郎"), "_action": "add:children"}
    form = page_form(KIDS, "kids", data=data)
    assert not form.is_valid() and dict(form.errors) == {}
    assert "children__1__born" in form.fields
    html = render(form)
    assert 'value="一郎"' in html and 'name="children__items" value="2"' in html
    assert 'value="remove:children:1"' in html and "子どもを追加" in html


def test_add_stops_at_max_items():
    data = {"children__items": "3", **child(0), **child(1), **child(2), "_action": "add:children"}
    form = page_form(KIDS, "kids", data=data)
    assert not form.is_valid()
    assert form.non_field_errors() == ["お子さんはこれ以上追加できません（3件まで）。"]
    assert "children__3__born" not in form.fields
    assert "子どもを追加" not in render(form)


def test_remove_action_removes_the_item_and_renumbers_the_rest():
    data = {"children__items": "3", **child(0, given="一郎"), **child(1, given="二郎"), **child(2, given="三郎")}
    form = page_form(KIDS, "kids", data={**data, "_action": "remove:children:1"})
    assert not form.is_valid() and dict(form.errors) == {}
    html = render(form)
    assert 'value="二郎"' not in html and 'value="一郎"' in html and 'value="三郎"' in html
    assert "children__2__born" not in form.fields
    shown_again = form.mdata.copy()
    shown_again.pop("_action")  # the resident now presses continue
    resubmitted = page_form(KIDS, "kids", data=shown_again)
    assert resubmitted.is_valid(), resubmitted.errors
    assert [c["name"]["given_name"] for c in resubmitted.answers()["children"]] == ["一郎", "三郎"]


def test_blank_items_are_dropped_and_min_items_applies():
    blank = {"children__items": "2", **child(0), **{key: "" for key in child(1)}}
    form = page_form(KIDS, "kids", data=blank)
    assert form.is_valid(), form.errors
    assert len(form.answers()["children"]) == 1
    empty = {"children__items": "1", **{key: "" for key in child(0)}}
    form = page_form(KIDS, "kids", data=empty)
    assert not form.is_valid()
    assert form.non_field_errors() == ["お子さんを1件以上入力してください。"]
    assert form.group_errors == {"children": ["お子さんを1件以上入力してください。"]}


def test_a_thousand_items_are_refused_by_max_items():
    data = {"children__items": "1000"}
    for index in range(1000):
        data.update(child(index))
    form = page_form(KIDS, "kids", data=data)
    assert len(form.fields) <= 1 + 3 * 5  # only max_items items are ever built
    assert not form.is_valid()
    assert form.group_errors == {"children": ["お子さんは3件まで入力できます。"]}


def test_missing_or_garbage_item_count_is_inferred_from_the_items_sent():
    data = {"children__items": "lots", **child(0), **child(1)}
    form = page_form(KIDS, "kids", data=data)
    assert form.is_valid(), form.errors
    assert len(form.answers()["children"]) == 2


def test_group_initial_shows_stored_items_with_wareki_dates():
    stored = {
        "children": [
            {"name": {"family_name": "南砺", "given_name": "一郎"}, "born": "2020-01-01"},
            {"born": "2021-02-03"},
        ]
    }
    form = page_form(KIDS, "kids", initial=stored)
    assert "children__1__born" in form.fields
    html = render(form)
    assert 'value="令和2年1月1日"' in html and 'value="令和3年2月3日"' in html


def test_unknown_or_malformed_actions_are_plain_submits():
    for action in ("add:nothing", "remove:children:9", "explode", "lookup:children", "add:children;drop"):
        form = page_form(KIDS, "kids", data={"children__items": "1", **child(0), "_action": action})
        assert form.action is None, action
        assert form.is_valid(), (action, form.errors)


# -- rendering with the shared components -----------------------------------------------------------------


def test_renders_with_field_component_labels_hints_and_required():
    html = render(page_form(JUMINHYO, "applicant"))
    assert '<label for="id_applicant_phone">電話番号 <span class="required">必須</span></label>' in html
    assert '<p class="hint" id="id_applicant_phone_hint">日中に連絡のとれる番号</p>' in html
    assert 'aria-describedby="id_applicant_phone_hint"' in html
    assert "<legend>氏名 <span" in html
    assert 'autocomplete="family-name"' in html and 'autocomplete="postal-code"' in html
    assert 'value="lookup:applicant_address"' in html
    assert " required" not in html.replace('class="required"', "")  # no browser-side required check


def test_errors_render_inline_and_in_the_summary():
    form = page_form(JUMINHYO, "applicant", data={**APPLICANT, "applicant_phone": "12"})
    html = render(form)
    assert '<a href="#id_applicant_phone">電話番号：電話番号は0から始まる' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_applicant_phone_error"' in html


def test_group_errors_render_at_the_group():
    form = page_form(KIDS, "kids", data={"children__items": "0"})
    html = render(form)
    assert '<p class="error-message">お子さんを1件以上入力してください。</p>' in html


@pytest.mark.usefixtures("english")
def test_renders_in_english():
    html = render(page_form(JUMINHYO, "applicant", language="en"))
    assert "Full name" in html and "Find the address from the postcode" in html
    assert "Toyama (富山県)" in html


def test_consent_shows_the_declaration():
    html = render(page_form(JUMINHYO, "declaration"))
    assert "住民基本台帳法第46条" in html and 'type="checkbox"' in html


# -- misc -------------------------------------------------------------------------------------------------


def test_unknown_page_raises():
    with pytest.raises(UnknownPageError):
        page_form(JUMINHYO, "nope")


def test_answers_of_an_invalid_form_raise():
    form = page_form(JUMINHYO, "whose", data={})
    with pytest.raises(ValueError):
        form.answers()


def test_query_dict_posts_work_and_are_not_mutated():
    post = QueryDict("", mutable=True)
    post.update({**CERTIFICATE})
    post.setlist("include", ["zokugara", "honseki"])
    post._mutable = False
    form = page_form(JUMINHYO, "certificate", data=post)
    assert form.is_valid(), form.errors
    assert form.answers()["include"] == ["honseki", "zokugara"]


def test_initial_dates_and_numbers_display_for_residents():
    form = page_form(EVERYTHING, "all", initial={"d": "2026-04-01", "n": 3})
    html = render(form)
    assert 'value="令和8年4月1日"' in html and 'value="3"' in html
    en_form = page_form(EVERYTHING, "all", initial={"d": "2026-04-01"}, language="en")
    assert 'value="2026-04-01"' in render(en_form)
