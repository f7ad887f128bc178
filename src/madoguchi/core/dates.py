"""和暦 (Japanese era) display and parsing. Dates are stored as ISO dates; eras exist only at the edges.

The era table is data: the next 改元 is one line here.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    romaji: str
    start: datetime.date


# Newest first. Start dates are the first day of each era under the Gregorian calendar.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", "Reiwa", datetime.date(2019, 5, 1)),
    Era("平成", "H", "Heisei", datetime.date(1989, 1, 8)),
    Era("昭和", "S", "Showa", datetime.date(1926, 12, 25)),
    Era("大正", "T", "Taisho", datetime.date(1912, 7, 30)),
    Era("明治", "M", "Meiji", datetime.date(1873, 1, 1)),  # Gregorian calendar adopted 明治6年
)
_ERA_BY_KEY = {era.name: era for era in ERAS} | {era.letter: era for era in ERAS}


class DateParseError(ValueError):
    """Raised with a resident-facing message saying what was wrong with the date."""


def era_of(value: datetime.date) -> Era | None:
    for era in ERAS:
        if value >= era.start:
            return era
    return None


def era_end(era: Era) -> datetime.date | None:
    index = ERAS.index(era)
    return None if index == 0 else ERAS[index - 1].start - datetime.timedelta(days=1)


def to_wareki(value: datetime.date) -> str:
    """令和8年4月1日; the first year of an era is 元年 (令和元年5月1日)."""
    era = era_of(value)
    if era is None:
        return f"{value.year}年{value.month}月{value.day}日"
    year = value.year - era.start.year + 1
    year_text = "元" if year == 1 else str(year)
    return f"{era.name}{year_text}年{value.month}月{value.day}日"


def wareki_year(value: datetime.date) -> str:
    era = era_of(value)
    if era is None:
        return f"{value.year}年"
    year = value.year - era.start.year + 1
    return f"{era.name}{'元' if year == 1 else year}年"


def fiscal_year(value: datetime.date) -> int:
    """年度: April 1 to March 31, named by the calendar year it starts in."""
    return value.year if value.month >= 4 else value.year - 1


_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _kanji_number(text: str) -> str:
    """十八 → 18, 三十一 → 31, 二〇二六 → 2026 (positional digits also accepted)."""

    def convert(match: re.Match[str]) -> str:
        token = match.group(0)
        if "十" not in token:
            return "".join(str(_KANJI_DIGITS[ch]) for ch in token)
        tens, _sep, ones = token.partition("十")
        return str((_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[ones] if ones else 0))

    return re.sub(r"[〇一二三四五六七八九十]+", convert, text)


_WAREKI = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<year>元|\d{1,2})\s*[年./\-]\s*(?P<month>\d{1,2})\s*[月./\-]\s*"
    r"(?P<day>\d{1,2})\s*日?$"
)
_SEIREKI = re.compile(r"^(?:西暦)?(?P<year>\d{4})\s*[年./\-]\s*(?P<month>\d{1,2})\s*[月./\-]\s*(?P<day>\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")


def parse_date(text: str) -> datetime.date:
    """Parse what residents type: 令和8年4月1日, 令和元年5月1日, R8.4.1, r8/4/1, H31.4.30, 2026-04-01,
    2026/4/1, 2026年4月1日, 20260401, full-width digits and kanji numerals."""
    normalized = unicodedata.normalize("NFKC", text or "").strip()
    normalized = _kanji_number(normalized).replace(" ", "")
    if not normalized:
        raise DateParseError(_("日付を入力してください。"))
    upper = normalized[0].upper() + normalized[1:]
    match = _WAREKI.match(upper)
    if match:
        era = _ERA_BY_KEY[match.group("era")]
        era_year = 1 if match.group("year") == "元" else int(match.group("year"))
        if era_year < 1:
            raise DateParseError(_("年は1以上（元年）で入力してください。"))
        year = era.start.year + era_year - 1
        value = _build(year, int(match.group("month")), int(match.group("day")))
        end = era_end(era)
        if value < era.start or (end is not None and value > end):
            if end is None:
                raise DateParseError(
                    _("%(era)sの期間外の日付です（%(era)sは%(start)sから）。")
                    % {"era": era.name, "start": to_wareki(era.start)}
                )
            raise DateParseError(
                _("%(era)sの期間外の日付です（%(era)sは%(start)sから%(end)sまで）。")
                % {"era": era.name, "start": to_wareki(era.start), "end": to_wareki(end)}
            )
        return value
    match = _SEIREKI.match(normalized) or _COMPACT.match(normalized)
    if match:
        return _build(int(match.group("year")), int(match.group("month")), int(match.group("day")))
    raise DateParseError(
        _("日付の形式が正しくありません。「令和8年4月1日」「R8.4.1」「2026-04-01」のように入力してください。")
    )


def _build(year: int, month: int, day: int) -> datetime.date:
    if not 1 <= month <= 12:
        raise DateParseError(_("月は1から12の数字で入力してください。"))
    try:
        return datetime.date(year, month, day)
    except ValueError as exc:
        raise DateParseError(_("%(month)s月に%(day)s日はありません。") % {"month": month, "day": day}) from exc
