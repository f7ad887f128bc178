import datetime

import pytest
from django.utils import translation

from madoguchi.core.dates import DateParseError, fiscal_year, parse_date, to_wareki
from madoguchi.core.templatetags.madoguchi_ui import date_both, wareki


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和8年4月1日", datetime.date(2026, 4, 1)),
        ("R8.4.1", datetime.date(2026, 4, 1)),
        ("r8/4/1", datetime.date(2026, 4, 1)),
        ("Ｒ８．４．１", datetime.date(2026, 4, 1)),
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("令和八年四月一日", datetime.date(2026, 4, 1)),
        ("平成31年4月30日", datetime.date(2019, 4, 30)),
        ("H31.4.30", datetime.date(2019, 4, 30)),
        ("昭和64年1月7日", datetime.date(1989, 1, 7)),
        ("平成元年1月8日", datetime.date(1989, 1, 8)),
        ("S60.12.31", datetime.date(1985, 12, 31)),
        ("2026-04-01", datetime.date(2026, 4, 1)),
        ("2026/4/1", datetime.date(2026, 4, 1)),
        ("2026年4月1日", datetime.date(2026, 4, 1)),
        ("２０２６－０４－０１", datetime.date(2026, 4, 1)),
        ("20260401", datetime.date(2026, 4, 1)),
        (" 令和 8 年 4 月 1 日 ", datetime.date(2026, 4, 1)),
        ("令和十年十二月三十一日", datetime.date(2028, 12, 31)),
    ],
)
def test_parse_accepts_what_residents_type(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        ("", "日付を入力"),
        ("平成32年1月1日", "平成の期間外"),  # 平成 ended on 2019-04-30
        ("令和元年4月30日", "令和の期間外"),  # 令和 began on 2019-05-01
        ("昭和64年1月8日", "昭和の期間外"),
        ("2026-02-30", "2月に30日はありません"),
        ("2026-13-01", "月は1から12"),
        ("あした", "日付の形式が正しくありません"),
        ("令和0年1月1日", "年は1以上"),
        ("R8.4", "日付の形式が正しくありません"),
    ],
)
def test_parse_explains_what_is_wrong(text, message_part):
    with translation.override("ja"), pytest.raises(DateParseError) as excinfo:
        parse_date(text)
    assert message_part in str(excinfo.value)


def test_wareki_display_uses_gannen_for_the_first_year():
    assert to_wareki(datetime.date(2019, 5, 1)) == "令和元年5月1日"
    assert to_wareki(datetime.date(2026, 4, 1)) == "令和8年4月1日"
    assert to_wareki(datetime.date(2019, 4, 30)) == "平成31年4月30日"


def test_template_filters_follow_the_active_language():
    day = datetime.date(2026, 4, 1)
    with translation.override("ja"):
        assert wareki(day) == "令和8年4月1日"
        assert date_both(day) == "令和8年4月1日（2026-04-01）"
    with translation.override("en"):
        assert wareki(day) == "1 April 2026"


def test_fiscal_year_starts_in_april():
    assert fiscal_year(datetime.date(2026, 4, 1)) == 2026
    assert fiscal_year(datetime.date(2027, 3, 31)) == 2026


def test_round_trip_over_every_era_boundary():
    for day in [
        datetime.date(1912, 7, 30),
        datetime.date(1926, 12, 25),
        datetime.date(1989, 1, 8),
        datetime.date(2019, 5, 1),
    ]:
        for offset in (-1, 0, 1):
            value = day + datetime.timedelta(days=offset)
            assert parse_date(to_wareki(value)) == value
