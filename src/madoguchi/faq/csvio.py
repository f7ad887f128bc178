"""CSV import and export of a municipality's FAQ, so a city can bring the FAQ it already has.

Columns (header row required, any order; unknown columns are ignored):
question, phrasings (separated by " | " or line breaks), answer, category, department (課名 or 識別名),
keywords, published (1/0, true/false, 公開/非公開), last_reviewed (YYYY-MM-DD), question_en, answer_en.
Japanese headers are accepted too (質問, 言い換え, 回答, 分類, 担当課, キーワード, 公開, 最終確認日).
Files may be UTF-8 (with or without BOM) or cp932 (Shift_JIS as Excel writes it).
A row whose question already exists updates that FAQ; nothing is written when any row is refused.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Department, Municipality

from . import services
from .models import Faq

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
EXPORT_COLUMNS = (
    "question",
    "phrasings",
    "answer",
    "category",
    "department",
    "keywords",
    "published",
    "last_reviewed",
    "question_en",
    "answer_en",
)
HEADER_ALIASES = {
    "質問": "question",
    "言い換え": "phrasings",
    "回答": "answer",
    "分類": "category",
    "カテゴリ": "category",
    "担当課": "department",
    "キーワード": "keywords",
    "公開": "published",
    "最終確認日": "last_reviewed",
    "質問（英語）": "question_en",
    "回答（英語）": "answer_en",
}
TRUE = {"1", "true", "yes", "公開", "はい", "○"}
FALSE = {"0", "false", "no", "非公開", "いいえ", "×", ""}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ServiceError("csv_too_large", _("ファイルは5MB以内にしてください。"), field="file")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    refused = ServiceError(
        "csv_encoding", _("文字コードを読み取れません。UTF-8またはShift_JIS（cp932）で保存してください。"), field="file"
    )
    for encoding in ("utf-8", "cp932"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # UTF-16 or a binary file: decodable bytes, but not a text CSV
            raise refused
        return text
    raise refused


def _parse_bool(value: str) -> bool | None:
    value = value.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    return None


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ServiceError("csv_empty", _("CSVファイルが空です。1行目に見出しが必要です。"), field="file") from exc
    columns = [HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    if "question" not in columns or "answer" not in columns:
        raise ServiceError(
            "csv_header", _("1行目に question（質問）と answer（回答）の見出しが必要です。"), field="file"
        )
    try:
        for number, row in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise ServiceError("csv_too_many_rows", _("1回に取り込めるのは5,000行までです。"), field="file")
            if not any(cell.strip() for cell in row):
                continue
            yield number, {col: _unquote(row[i]) if i < len(row) else "" for i, col in enumerate(columns)}
    except csv.Error as exc:
        raise ServiceError("csv_malformed", _("CSVの形式が正しくありません。"), field="file") from exc


def faq_import(*, municipality: Municipality, actor: Any, raw: bytes, request: Any) -> ImportResult:
    """All rows or none: any refused row rolls the whole file back, and every problem is reported by line."""
    text = decode(raw)
    departments = {d.name: d for d in Department.objects.filter(municipality=municipality)}
    departments |= {d.slug: d for d in departments.values()}
    result = ImportResult()
    try:
        with transaction.atomic():
            for number, row in _rows(text):
                data: dict[str, Any] = {
                    "question": row.get("question", ""),
                    "answer": row.get("answer", ""),
                    "phrasings": "\n".join(
                        p.strip() for p in row.get("phrasings", "").replace(" | ", "\n").splitlines()
                    ),
                    "category": row.get("category", ""),
                    "keywords": row.get("keywords", ""),
                    "question_en": row.get("question_en", ""),
                    "answer_en": row.get("answer_en", ""),
                }
                department_name = row.get("department", "").strip()
                if department_name:
                    if department_name not in departments:
                        result.errors.append(
                            _("%(line)d行目: 担当課「%(name)s」がありません。")
                            % {"line": number, "name": department_name[:60]}
                        )
                        continue
                    data["department"] = departments[department_name]
                published = _parse_bool(row.get("published", "1") or "1")
                if published is None:
                    result.errors.append(_("%(line)d行目: published は 1 か 0 にしてください。") % {"line": number})
                    continue
                data["is_published"] = published
                reviewed = row.get("last_reviewed", "").strip()
                if reviewed:
                    try:
                        data["last_reviewed_on"] = datetime.date.fromisoformat(reviewed.replace("/", "-"))
                    except ValueError:
                        result.errors.append(
                            _("%(line)d行目: 最終確認日は 2026-04-01 の形にしてください。") % {"line": number}
                        )
                        continue
                question = " ".join(data["question"].split())
                existing = Faq.objects.filter(municipality=municipality, question=question).first()
                try:
                    with transaction.atomic():
                        if existing is None:
                            services.faq_create(municipality=municipality, actor=actor, data=data, request=request)
                            result.created += 1
                        else:
                            services.faq_update(faq=existing, actor=actor, data=data, request=request)
                            result.updated += 1
                except ServiceError as error:
                    result.errors.append(_("%(line)d行目: %(message)s") % {"line": number, "message": error.message})
            if result.errors:
                raise _Rollback
            audit_record(
                action="faq.imported",
                actor=actor,
                municipality=municipality,
                object_type="faq",
                object_id="",
                request=request,
                details={"created": result.created, "updated": result.updated},
            )
    except _Rollback:
        result.created = result.updated = 0
    return result


class _Rollback(Exception):
    pass


def _unquote(value: str) -> str:
    """Undo the export's formula guard ('=… → =…), so an exported file imports unchanged."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def export_rows(faqs: Any) -> Iterator[list[str]]:
    for faq in faqs:
        yield [
            faq.question,
            " | ".join(faq.phrasing_list()),
            faq.answer,
            faq.category,
            faq.department.name if faq.department else "",
            faq.keywords,
            "1" if faq.is_published else "0",
            faq.last_reviewed_on.isoformat() if faq.last_reviewed_on else "",
            faq.question_en,
            faq.answer_en,
        ]
