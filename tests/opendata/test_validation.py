"""The validator/normaliser: encodings, BOM, leading zeros, check digits, swapped coordinates, vocabularies,
dates, times, phones, legacy headers, XLSX — every problem with its row and column."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from madoguchi.opendata.standards import TOTAL_STANDARD_DATASETS, all_standards, get_standard, standard_index
from madoguchi.opendata.validation import ERROR, FIXED, TableError, decode, validate_upload

TOILET = get_standard("13")
MAX = 10_000


def csv_text(header: list[str], *rows: list[str]) -> str:
    return "\r\n".join(",".join(cells) for cells in [header, *rows]) + "\r\n"


HEADER = [
    "全国地方公共団体コード",
    "ID",
    "名称",
    "所在地_連結表記",
    "設置位置",
    "緯度",
    "経度",
    "車椅子使用者用トイレ有無",
    "利用開始時間",
]


def problems(report, severity=None):
    return [(p.row, p.column) for p in report.problems if severity is None or p.severity == severity]


def test_definitions_cover_the_required_standards_with_source_and_version():
    standards = all_standards()
    assert {"01", "03", "04", "05", "06", "08", "12", "13"} <= set(standards)
    for standard in standards.values():
        assert standard.source_url.startswith("https://www.digital.go.jp/")
        assert standard.version
        assert len(set(standard.column_names)) == len(standard.column_names)
        assert standard.legacy_columns, standard.number
        assert all(new in standard.column_names for new in standard.legacy_mapping.values() if new)
    assert len(standard_index()) == TOTAL_STANDARD_DATASETS == 31
    assert len(TOILET.columns) == 39  # the official sheet, item by item
    assert TOILET.column("名称").required and not TOILET.column("ID").required


def test_broken_cp932_file_is_reported_row_by_row_with_fixes():
    """The issue's example: Shift_JIS, swapped coordinates, dropped leading zeros, a bad check digit."""
    text = csv_text(
        HEADER,
        [
            "62014",
            "A1",
            "駅前トイレ",
            "山形県山形市1",
            "屋外",
            "140.363",
            "38.255",
            "有",
            "9:00",
        ],  # zero dropped, swapped
        [
            "062015",
            "A2",
            "公園トイレ",
            "山形県山形市2",
            "公園",
            "38.25",
            "140.36",
            "あり",
            "25:00",
        ],  # check digit, time
        ["062014", "A3", "", "山形県山形市3", "屋外", "99", "140.36", "たぶん", "09:00"],  # 名称 empty, lat, vocabulary
    )
    report = validate_upload(text.encode("cp932"), "062014_public_toilet.csv", TOILET, max_rows=MAX)
    assert report.encoding == "Shift_JIS (cp932)"
    assert report.rows[0]["全国地方公共団体コード"] == "062014"
    assert (report.rows[0]["緯度"], report.rows[0]["経度"]) == ("38.255", "140.363")
    assert report.rows[0]["利用開始時間"] == "09:00"
    assert set(problems(report, FIXED)) >= {
        (2, "全国地方公共団体コード"),
        (2, "緯度"),
        (2, "利用開始時間"),
        (3, "車椅子使用者用トイレ有無"),
    }
    assert problems(report, ERROR) == [
        (3, "全国地方公共団体コード"),
        (3, "利用開始時間"),
        (4, "名称"),
        (4, "車椅子使用者用トイレ有無"),
        (4, "緯度"),
    ]
    assert not report.conforms and report.error_count == 5
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert "検査数字" in messages[(3, "全国地方公共団体コード")]
    assert "必須" in messages[(4, "名称")]
    assert "入れ替" in messages[(2, "緯度")]


def test_messages_in_english_when_chosen():
    text = csv_text(HEADER, ["162043", "A1", "", "x", "屋外", "36.8", "137.4", "有", "09:00"])
    with translation.override("en"):
        report = validate_upload(text.encode(), "a.csv", TOILET, max_rows=MAX)
    assert [p.message for p in report.problems] == ["This required item is empty."]


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("\ufeff名称,緯度\r\n駅,36.8\r\n".encode(), "UTF-8 (BOM)"),
        ("名称,緯度\r\n駅,36.8\r\n".encode(), "UTF-8"),
        ("名称,緯度\r\n駅,36.8\r\n".encode("utf-16"), "UTF-16"),
        ("名称,緯度\r\n駅,36.8\r\n".encode("cp932"), "Shift_JIS (cp932)"),
    ],
)
def test_encodings_are_detected_and_the_bom_stripped(raw, label):
    text, encoding = decode(raw)
    assert encoding == label
    assert text.startswith("名称,")


def test_bom_never_reaches_a_column_name():
    report = validate_upload(
        "\ufeff名称,設置位置,所在地_連結表記\r\n駅,屋外,x\r\n".encode(), "a.csv", TOILET, max_rows=MAX
    )
    assert report.rows[0]["名称"] == "駅"
    assert not [p for p in report.problems if p.row == 1 and p.severity == ERROR]


def test_legacy_headers_are_mapped_to_current_names():
    legacy = csv_text(
        ["都道府県コード又は市区町村コード", "NO", "名称", "住所", "方書", "設置位置"],
        ["162043", "1", "駅", "富山県魚津市1", "1階", "屋内"],
    )
    report = validate_upload(legacy.encode(), "a.csv", TOILET, max_rows=MAX)
    assert report.legacy_headers
    row = report.rows[0]
    assert (row["全国地方公共団体コード"], row["ID"], row["所在地_連結表記"], row["建物名等(方書)"]) == (
        "162043",
        "1",
        "富山県魚津市1",
        "1階",
    )
    assert report.conforms


def test_dates_phones_and_integers_are_checked_and_normalised():
    events = get_standard("12")
    text = csv_text(
        ["イベント名", "開始日", "終了日", "場所名称", "所在地_連結表記", "連絡先電話番号", "定員"],
        ["祭り", "2026/4/1", "令和8年4月2日", "公民館", "x", "0765-23-1000", '"1,200"'],
        ["祭り", "4月", "2026-04-02", "公民館", "x", "12-34", "多数"],
    )
    report = validate_upload(text.encode(), "a.csv", events, max_rows=MAX)
    assert (report.rows[0]["開始日"], report.rows[0]["終了日"], report.rows[0]["定員"]) == (
        "2026-04-01",
        "2026-04-02",
        "1200",
    )
    assert problems(report, ERROR) == [(3, "開始日"), (3, "連絡先電話番号"), (3, "定員")]


def test_missing_required_and_unknown_columns_are_reported_on_the_header_row():
    report = validate_upload(csv_text(["名称", "好きな色"], ["駅", "赤"]).encode(), "a.csv", TOILET, max_rows=MAX)
    header_problems = [p.column for p in report.problems if p.row == 1]
    assert "好きな色" in header_problems and "所在地_連結表記" in header_problems and "設置位置" in header_problems


def test_xlsx_numbers_lose_no_leading_zeros():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["全国地方公共団体コード", "名称", "所在地_連結表記", "設置位置", "緯度", "経度"])
    sheet.append([62014, "駅", "x", "屋外", 38.255, 140.363])  # Excel kept the code as a number
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = validate_upload(buffer.getvalue(), "a.xlsx", TOILET, max_rows=MAX)
    assert report.encoding == "XLSX"
    assert report.rows[0]["全国地方公共団体コード"] == "062014"
    assert report.conforms


@pytest.mark.parametrize(
    "raw",
    [b"\x00\x01\x02\xff\xfe\x00garbage", b"PK\x03\x04not really a zip", b"", "\x81".encode("latin-1") * 3],
)
def test_unreadable_files_are_refused_with_a_message(raw):
    with pytest.raises(TableError) as excinfo:
        validate_upload(raw, "a.csv" if not raw.startswith(b"PK") else "a.xlsx", TOILET, max_rows=MAX)
    assert str(excinfo.value)


def test_too_many_rows_is_refused():
    text = csv_text(["名称"], *[["駅"]] * 11)
    with pytest.raises(TableError, match="10"):
        validate_upload(text.encode(), "a.csv", None, max_rows=10)


def test_formula_like_and_oversized_cells_are_kept_as_text():
    text = csv_text(["名称", "メモ"], ['=HYPERLINK("x")', "a" * 20_000])
    report = validate_upload(text.encode(), "a.csv", None, max_rows=MAX)
    assert report.rows[0]["名称"] == '=HYPERLINK("x")'
    assert len(report.rows[0]["メモ"]) == 10_000
