"""'Check your answers': what the resident entered, page by page, as plain text ready for a template.

Values read the way residents expect: dates as 令和8年4月1日（2026-04-01） (1 April 2026 in English), choices by
their labels, names with their フリガナ, postcodes as 〒939-1692, phone numbers grouped, a group item by item.
Each section carries its page id so the template can link "change" to that page. Text is not escaped here
(templates escape it); long text keeps its line breaks (use |linebreaksbr).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from madoguchi.core.dates import to_wareki
from madoguchi.core.validators import format_postal_code

from .conditions import is_answered, walk
from .definition import FieldDef, FormDefinition, active_language

MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class SummaryItem:
    """One item of a repeated group (子ども 1, 子ども 2 …) with its rows."""

    label: str
    rows: tuple[SummaryRow, ...]


@dataclass(frozen=True)
class SummaryRow:
    field_id: str
    label: str
    value: str  # display text; for a group, the number of items
    answered: bool = True
    items: tuple[SummaryItem, ...] = ()
    file_ref: str = ""  # a file answer's storage ref, for a download link


@dataclass(frozen=True)
class SummarySection:
    page_id: str  # for the "change" link
    title: str
    rows: tuple[SummaryRow, ...]


def format_date(value: str, language: str) -> str:
    try:
        day = datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{to_wareki(day)}（{day.isoformat()}）"


def format_phone(digits: str) -> str:
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if len(digits) == 10:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return digits


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, (size + 1023) // 1024)} KB"


def _number(member: FieldDef, value: Any, language: str) -> str:
    text = f"{value:,}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    if member.unit:
        unit = member.unit.get(language)
        return f"{text} {unit}" if language == "en" else f"{text}{unit}"
    return text


def display_value(member: FieldDef, value: Any, language: str | None = None) -> str:
    """One answer as text in the given language ("" when unanswered)."""
    lang = active_language(language)
    if not is_answered(value):
        return ""
    kind = member.type
    if kind == "date":
        return format_date(value, lang)
    if kind == "single_choice":
        return member.option_label(value, lang)
    if kind == "multiple_choice" and isinstance(value, list):
        return ("、" if lang == "ja" else ", ").join(member.option_label(item, lang) for item in value)
    if kind == "number":
        return _number(member, value, lang)
    if kind == "phone" and isinstance(value, str):
        return format_phone(value)
    if kind == "consent":
        with translation.override(lang):
            return str(_("同意します"))
    if kind == "file" and isinstance(value, dict):
        size = value.get("size")
        name = str(value.get("name", ""))
        return (
            f"{name}（{format_size(size)}）"
            if isinstance(size, int) and lang == "ja"
            else (f"{name} ({format_size(size)})" if isinstance(size, int) else name)
        )
    if kind == "name" and isinstance(value, dict):
        space = "\u3000" if lang == "ja" else " "
        name = space.join(part for part in (value.get("family_name"), value.get("given_name")) if part)
        kana = space.join(part for part in (value.get("family_name_kana"), value.get("given_name_kana")) if part)
        if not kana:
            return name
        return f"{name}（{kana}）" if lang == "ja" else f"{name} ({kana})"
    if kind == "address" and isinstance(value, dict):
        postal = value.get("postal_code") or ""
        line = "".join(str(value.get(part) or "") for part in ("prefecture", "city", "town", "street"))
        building = str(value.get("building") or "")
        text = " ".join(part for part in (f"〒{format_postal_code(postal)}" if postal else "", line, building) if part)
        return text
    return str(value)


def _rows(member: FieldDef, value: Any, language: str) -> SummaryRow:
    label = member.label.get(language)
    with translation.override(language):
        unanswered = str(_("未回答"))
    if member.type == "repeated_group":
        items_value = value if isinstance(value, list) else []
        noun = (member.item_label or member.label).get(language)
        items = tuple(
            SummaryItem(
                label=f"{noun} {index + 1}",
                rows=tuple(
                    _rows(sub, item.get(sub.id) if isinstance(item, dict) else None, language) for sub in member.fields
                ),
            )
            for index, item in enumerate(items_value)
        )
        with translation.override(language):
            count = str(_("%(count)s件") % {"count": len(items)})
        return SummaryRow(member.id, label, count if items else unanswered, bool(items), items)
    text = display_value(member, value, language)
    ref = value.get("ref") if member.type == "file" and isinstance(value, dict) else None
    return SummaryRow(member.id, label, text or unanswered, bool(text), file_ref=ref if isinstance(ref, str) else "")


def summarise(
    definition: FormDefinition, answers: Mapping[str, Any], *, language: str | None = None
) -> list[SummarySection]:
    """The check-your-answers sections: every visible page with the rows of its visible fields."""
    lang = active_language(language)
    sections = []
    for page, shown in walk(definition, answers):
        rows = tuple(_rows(member, answers.get(member.id), lang) for member in shown)
        if rows:
            sections.append(SummarySection(page.id, page.title.get(lang), rows))
    return sections
