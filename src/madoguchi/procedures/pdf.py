"""A printable PDF of an application (申請書の印刷): A4, Japanese by default, English for English readers.

What it shows: the municipality, the procedure, the receipt number (large, grouped so it can be read over the
phone), the submission date in 和暦 and 西暦, the status, every answer exactly as the check-your-answers summary
renders it (engine/summary.py), the fee lines and total (engine/fees.py), the history the applicant can see
(the staff copy also names who processed each step; internal notes and assignments are never printed), and on
every page "printed at / by" and "1 / 3".

The document is laid out as plain data first (`_Document`), so every character it will print is known before
drawing: that set becomes the embedded font subset (pdf_font.py), which keeps a typical 20-field application
near 40 KB.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import TTFFont

from madoguchi.core.dates import to_wareki

from . import journey
from .engine.definition import DefinitionError, validate_definition
from .engine.fees import FeeError, compute_fee
from .engine.summary import MONTHS_EN, SummaryRow, summarise
from .models import Submission, SubmissionEvent, SubmissionStatus
from .pdf_font import FAMILY, printable, subset_ttf

# A4 in millimetres; margins leave room for a punch and the footer.
MARGIN = 18.0
FOOTER_SPACE = 16.0
LABEL_WIDTH = 55.0
GAP = 4.0
TEXT_SIZE = 10.0
LINE = 5.6  # line height for TEXT_SIZE, in mm


@dataclass
class _Row:
    label: str
    value: str
    depth: int = 0  # 1 for the rows of a repeated-group item


@dataclass
class _Section:
    title: str
    rows: list[_Row] = field(default_factory=list)


@dataclass
class _Document:
    title: str
    municipality: str
    procedure: str
    receipt_label: str
    receipt: str
    facts: list[_Row]
    sections: list[_Section]
    footer: str

    def texts(self) -> list[str]:
        texts = [self.title, self.municipality, self.procedure, self.receipt_label, self.receipt, self.footer]
        for row in self.facts:
            texts += [row.label, row.value]
        for section in self.sections:
            texts.append(section.title)
            for row in section.rows:
                texts += [row.label, row.value]
        return texts


def _datetime_text(value: datetime.datetime | None, language: str) -> str:
    if value is None:
        return "—"
    local = timezone.localtime(value)
    if language == "en":
        return f"{local.day} {MONTHS_EN[local.month - 1]} {local.year}, {local:%H:%M}"
    return f"{to_wareki(local.date())} {local:%H:%M}（{local:%Y-%m-%d}）"


def _yen(amount: int, language: str) -> str:
    return f"¥{amount:,}" if language == "en" else f"{amount:,}円"


def _summary_rows(row: SummaryRow) -> list[_Row]:
    if not row.items:
        return [_Row(row.label, row.value)]
    rows = [_Row(row.label, row.value)]
    for item in row.items:
        rows.append(_Row(item.label, "", depth=1))
        rows += [_Row(sub.label, sub.value, depth=1) for sub in item.rows]
    return rows


def _answer_sections(submission: Submission, language: str) -> list[_Section]:
    try:
        definition = validate_definition(submission.form_version.definition)
    except DefinitionError:
        return [
            _Section(
                _("申請内容"), [_Row(_("申請内容"), _("申請内容を表示できません（様式の定義が読み取れません）。"))]
            )
        ]
    sections = [
        _Section(section.title, [line for row in section.rows for line in _summary_rows(row)])
        for section in summarise(definition, submission.answers, language=language)
    ]
    sections.append(_fee_section(submission, definition, language))
    return sections


def _fee_section(submission: Submission, definition: Any, language: str) -> _Section:
    section = _Section(_("手数料"))
    try:
        quote = compute_fee(definition, submission.answers, journey.fee_table(submission.procedure), language=language)
    except FeeError:
        quote = None
    if quote is not None and quote.total == submission.fee_total:
        for line in quote.lines:
            section.rows.append(
                _Row(
                    line.label,
                    _("%(unit)s × %(quantity)s = %(amount)s")
                    % {
                        "unit": _yen(line.unit, language),
                        "quantity": line.quantity,
                        "amount": _yen(line.amount, language),
                    },
                )
            )
    elif submission.fee_total:
        # The fee table changed after submission: the itemisation today would not add up to what was charged.
        section.rows.append(_Row(_("内訳"), _("申請後に手数料表が変わったため、内訳は表示できません。")))
    section.rows.append(_Row(_("合計"), _yen(submission.fee_total, language) if submission.fee_total else _("無料")))
    return section


def _history_section(submission: Submission, language: str, *, for_staff: bool) -> _Section:
    section = _Section(_("経過"))
    events = [event for event in submission.events.all() if not event.internal]
    for event in events:
        if event.kind == SubmissionEvent.Kind.STATUS and event.to_status:
            what = event.to_status_label
        else:
            what = str(event.get_kind_display())
        if for_staff and event.actor_name:
            what = _("%(what)s（処理：%(who)s）") % {"what": what, "who": event.actor_name}
        text = f"{what}\n{event.text}" if event.text else what
        section.rows.append(_Row(_datetime_text(event.occurred_at, language), text))
    if not events:
        section.rows.append(_Row("—", _("記録はありません。")))
    return section


def _receipt_for_phone(receipt: str) -> str:
    """HK-R8-000123 → "HK - R8 - 000 123": groups of at most three are what people read out."""
    parts = []
    for part in receipt.split("-"):
        if part.isdigit() and len(part) > 3:
            head = len(part) % 3 or 3
            groups = [part[:head]] + [part[i : i + 3] for i in range(head, len(part), 3)]
            parts.append(" ".join(groups))
        else:
            parts.append(part)
    return " - ".join(parts)


def _document(submission: Submission, *, language: str, for_staff: bool, printed_by: Any, now: datetime.datetime):
    municipality = submission.municipality
    facts = [
        _Row(_("受付番号"), submission.receipt_number),
        _Row(_("申請日時"), _datetime_text(submission.submitted_at, language)),
        _Row(_("状態"), str(SubmissionStatus(submission.status).label)),
        _Row(_("担当課"), submission.department.display_name),
    ]
    if for_staff:
        applicant = submission.applicant
        facts.append(_Row(_("申請者のメールアドレス"), applicant.email if applicant else "—"))
        facts.append(_Row(_("担当者"), submission.assignee.display_name if submission.assignee else _("未割り当て")))
    sections = _answer_sections(submission, language)
    sections.append(_history_section(submission, language, for_staff=for_staff))
    who = printed_by.display_name if printed_by is not None and getattr(printed_by, "is_authenticated", False) else ""
    printed = _datetime_text(now, language)
    footer = (
        _("印刷日時：%(when)s　印刷者：%(who)s") % {"when": printed, "who": who}
        if who
        else _("印刷日時：%(when)s") % {"when": printed}
    )
    return _Document(
        title=_("申請書（職員用控え）") if for_staff else _("申請書（申請者控え）"),
        municipality=municipality.display_name,
        procedure=submission.procedure.display_name,
        receipt_label=_("受付番号"),
        receipt=_receipt_for_phone(submission.receipt_number),
        facts=facts,
        sections=sections,
        footer=footer,
    )


class _PDF(FPDF):
    footer_text = ""
    page_label = ""

    def footer(self) -> None:
        self.set_y(-MARGIN + 4)
        self.set_font(FAMILY, size=8)
        self.set_text_color(80, 80, 80)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_text_color(0, 0, 0)

    def number_pages(self) -> None:
        """ "1 / 3" on every page, written once the count is known. (The writer's own page-count alias, {nb},
        would also replace "{nb}" typed in an answer.)"""
        self.set_auto_page_break(False)
        total = self.page
        for number in range(1, total + 1):
            self.page = number
            self.set_font(FAMILY, size=8)
            self.set_text_color(80, 80, 80)
            self.set_xy(self.l_margin, self.h - MARGIN + 4)
            self.cell(0, 4, self.page_label % {"page": number, "pages": total}, align="R")
        self.set_text_color(0, 0, 0)


def _clean(document: _Document) -> _Document:
    def rows(items: list[_Row]) -> list[_Row]:
        return [_Row(printable(row.label), printable(row.value), row.depth) for row in items]

    return _Document(
        title=printable(document.title),
        municipality=printable(document.municipality),
        procedure=printable(document.procedure),
        receipt_label=printable(document.receipt_label),
        receipt=printable(document.receipt),
        facts=rows(document.facts),
        sections=[_Section(printable(section.title), rows(section.rows)) for section in document.sections],
        footer=printable(document.footer),
    )


# 禁則処理 (JIS X 4051, simplified): characters that may not begin a line hang at the end of the one before
# (ぶら下げ); opening brackets never end a line.
NO_LINE_START = frozenset(
    "、。，．,.:;!?！？)）]］}｝」』】〕〉》〙〗”’ゝゞー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・：；"
)
NO_LINE_END = frozenset("(（[［{｛「『【〔〈《〘〖“‘")
HANG_MAX = 2  # characters that may hang past the measure


def _breakable(before: str, after: str) -> bool:
    """May a line break fall between these two characters? At spaces and next to wide (CJK) characters, but
    not before a character that may not begin a line nor after one that may not end it; never inside a run
    of Latin letters or digits."""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if before == " " or after == " ":
        return True
    return ord(before) > 0x2E7F or ord(after) > 0x2E7F


def wrap_lines(text: str, width: float, measure: Any) -> list[str]:
    """`text` broken into lines no wider than `width` (by `measure(str) -> float`), with 禁則: up to
    HANG_MAX characters that may not begin a line hang past the width, so draw the lines in a cell that much
    wider. A Latin word breaks only when it is longer than a line."""
    widths: dict[str, float] = {}

    def char_width(char: str) -> float:
        if char not in widths:
            widths[char] = measure(char)
        return widths[char]

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used, hanging, last_break = 0.0, 0, -1  # last_break: index in `line` a break may go before
        for char in paragraph:
            if line and _breakable(line[-1], char):
                last_break = len(line)
            if line and used + char_width(char) > width:
                if char in NO_LINE_START and hanging < HANG_MAX:
                    line.append(char)
                    used += char_width(char)
                    hanging += 1
                    continue
                cut = len(line) if hanging or last_break <= 0 else last_break
                lines.append("".join(line[:cut]).rstrip())
                line = line[cut:]
                while line and line[0] == " ":
                    line.pop(0)
                used, hanging, last_break = sum(char_width(c) for c in line), 0, -1
                for index in range(1, len(line) + 1):
                    if _breakable(line[index - 1], line[index] if index < len(line) else char):
                        last_break = index
                if not line and char == " ":
                    continue  # the space the line broke at
            line.append(char)
            used += char_width(char)
        lines.append("".join(line).rstrip())
    return lines


def _hang(pdf: _PDF) -> float:
    """Room for hanging punctuation: HANG_MAX full-width characters at the current size, in mm."""
    return HANG_MAX * pdf.font_size


def _wrapped(pdf: _PDF, text: str, width: float) -> str:
    """Lines for a cell `width` + _hang() wide: the text fills `width`, punctuation may hang past it."""
    return "\n".join(wrap_lines(text, width, pdf.get_string_width))


def _write_row(pdf: _PDF, row: _Row) -> None:
    indent = 6.0 * row.depth
    label_x = pdf.l_margin + indent
    value_x = pdf.l_margin + LABEL_WIDTH + GAP
    value_width = pdf.w - pdf.r_margin - value_x
    # A label's punctuation hangs inside its column; a value's into the right margin (18 mm > the hang).
    label = _wrapped(pdf, row.label, LABEL_WIDTH - indent - _hang(pdf))
    value = _wrapped(pdf, row.value, value_width)
    value_width += _hang(pdf)
    label_height = cast(
        float,
        pdf.multi_cell(LABEL_WIDTH - indent, LINE, label, dry_run=True, output="HEIGHT", wrapmode=WrapMode.CHAR),
    )
    if pdf.get_y() + label_height > pdf.page_break_trigger:
        pdf.add_page()
    start_page, start_y = pdf.page, pdf.get_y()
    pdf.set_xy(label_x, start_y)
    pdf.set_text_color(60, 60, 60)
    pdf.multi_cell(LABEL_WIDTH - indent, LINE, label, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    label_end = pdf.get_y()
    pdf.set_xy(value_x, start_y)
    if value:
        pdf.multi_cell(value_width, LINE, value, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if pdf.page == start_page:
        pdf.set_y(max(label_end, pdf.get_y()))
    pdf.set_y(pdf.get_y() + 1.2)


def _heading(pdf: _PDF, text: str, size: float) -> None:
    if pdf.get_y() + size * 0.9 + 2 * LINE > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FAMILY, size=size)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.multi_cell(
        width + _hang(pdf),
        size * 0.5,
        _wrapped(pdf, text, width),
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FAMILY, size=TEXT_SIZE)


def _render(document: _Document, *, page_label: str, language: str) -> bytes:
    chars = set("".join(document.texts())) | set(page_label) | set("0123456789/ ")
    with tempfile.TemporaryDirectory(prefix="madoguchi-pdf-") as folder:
        font_path = os.path.join(folder, "subset.ttf")
        with open(font_path, "wb") as handle:
            handle.write(subset_ttf(chars))
        pdf = _PDF(orientation="portrait", unit="mm", format="A4")
        pdf.alias_nb_pages(None)  # type: ignore[arg-type]  # documented as "disables the alias"; see number_pages()
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=FOOTER_SPACE + 6)
        pdf.add_font(FAMILY, fname=font_path)
        # Our subset's glyphs carry exact bounds already (pdf_font.py); without this the writer expands and
        # recompiles every glyph when it subsets the font once more, about a third of the time of a PDF.
        font = pdf.fonts[FAMILY.lower()]
        if isinstance(font, TTFFont):
            font.ttfont.recalcBBoxes = False
        pdf.footer_text = document.footer
        pdf.page_label = page_label
        pdf.set_lang(language)
        pdf.set_title(f"{document.title} {document.receipt}")
        pdf.set_creator("Madoguchi")
        pdf.set_creation_date(timezone.now())
        pdf.add_page()

        pdf.set_font(FAMILY, size=9)
        pdf.cell(0, 5, document.municipality, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.cell(0, 5, document.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        _heading(pdf, document.procedure, 16)
        pdf.ln(3)
        pdf.set_font(FAMILY, size=9)
        pdf.cell(0, 5, document.receipt_label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, size=24)
        pdf.cell(0, 12, document.receipt, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        pdf.set_font(FAMILY, size=TEXT_SIZE)
        for row in document.facts:
            _write_row(pdf, row)
        for section in document.sections:
            pdf.ln(3)
            _heading(pdf, section.title, 12.5)
            y = pdf.get_y()
            pdf.set_draw_color(120, 120, 120)
            pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
            pdf.ln(1.5)
            for row in section.rows:
                _write_row(pdf, row)
        pdf.number_pages()
        return bytes(pdf.output())


def application_pdf(
    submission: Submission,
    *,
    language: str,
    for_staff: bool,
    printed_by: Any = None,
    now: datetime.datetime | None = None,
) -> bytes:
    """The application as a PDF. `language` is "ja" or "en"; `for_staff` adds the applicant's address, the
    assignee and who processed each step. Drafts have no PDF (ValueError): callers 404 before this."""
    if submission.status == SubmissionStatus.DRAFT:
        raise ValueError("a draft has no PDF")
    lang = "en" if (language or "").startswith("en") else "ja"
    with translation.override(lang):
        document = _document(
            submission, language=lang, for_staff=for_staff, printed_by=printed_by, now=now or timezone.now()
        )
        page_label = _("%(page)s / %(pages)s")
    return _render(_clean(document), page_label=page_label, language=lang)
