"""Text helpers of the FAQ module: masking personal data, the answer's small markup, list fields."""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 12 digits, possibly grouped (マイナンバー, 1234 5678 9012 or 1234-5678-9012).
_TWELVE = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")
# Japanese phone numbers: 0 then 9–10 more digits, with hyphens, spaces or brackets; or +81.
_PHONE = re.compile(r"(?<![\d])(?:\+81[ -]?|0)\d{1,4}[ ()-]*\d{1,4}[ )-]*\d{3,4}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{10,}")
_LIST_SPLIT = re.compile(r"[、,，\n]+")
# Site paths (never "//host", which browsers read as another site) and https URLs; no backslashes.
_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\(((?:/(?![/\\])|https://)[^\s()<>\"'\\]{0,500})\)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_QUESTION_LENGTH = 500


def mask_personal_data(text: str) -> str:
    """What may be stored of a question: e-mail addresses, 12-digit numbers and phone numbers replaced.
    NFKC first, so full-width digits and ＠ are caught as well."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub("[メール]", text)
    text = _TWELVE.sub("[番号]", text)
    text = _PHONE.sub("[電話番号]", text)
    return _LONG_DIGITS.sub("[番号]", text)


def clean_question(text: str) -> str:
    """Control characters out, spaces collapsed, cut to the stored length."""
    text = _CONTROL.sub(" ", text or "")
    text = "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)
    return " ".join(text.split())[:MAX_QUESTION_LENGTH]


def split_list(value: str) -> list[str]:
    """'a、b, c' → ['a', 'b', 'c'] (duplicates and blanks dropped, order kept)."""
    return list(dict.fromkeys(part.strip() for part in _LIST_SPLIT.split(value or "") if part.strip()))


def render_answer(text: str) -> SafeString:
    """The answer's markup: paragraphs separated by blank lines, line breaks kept, and links written
    [label](/path) or [label](https://…). Everything else is escaped, so staff cannot inject HTML."""
    paragraphs = [p for p in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n")) if p.strip()]
    html: list[str] = []
    for paragraph in paragraphs:
        out: list[str] = []
        position = 0
        for match in _LINK.finditer(paragraph):
            out.append(escape(paragraph[position : match.start()]))
            out.append(f'<a href="{escape(match.group(2))}">{escape(match.group(1))}</a>')
            position = match.end()
        out.append(escape(paragraph[position:]))
        html.append("<p>" + "".join(out).strip().replace("\n", "<br>") + "</p>")
    return mark_safe("".join(html))  # noqa: S308 - every piece above is escaped


def plain_answer(text: str) -> str:
    """The answer without markup (links become their label), for the API and the search index."""
    return _LINK.sub(lambda m: m.group(1), text or "")


def answer_links(text: str) -> list[dict[str, str]]:
    return [{"label": m.group(1), "url": m.group(2)} for m in _LINK.finditer(text or "")]


def bigrams(text: str) -> frozenset[str]:
    compact = re.sub(r"[^\w]+", "", unicodedata.normalize("NFKC", text).lower())
    if len(compact) < 2:
        return frozenset({compact}) if compact else frozenset()
    return frozenset(compact[i : i + 2] for i in range(len(compact) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two bigram sets."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
