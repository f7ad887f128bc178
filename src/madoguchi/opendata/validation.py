"""Read, validate and normalise uploaded tables (CSV or XLSX) against a 自治体標準オープンデータセット definition.

What real municipal files get wrong, and what happens here (research §3.4, §5 items 6, 7, 11):
- encodings: UTF-8, UTF-8 with BOM, UTF-16 with BOM and Shift_JIS (cp932) are detected; the BOM is stripped;
- legacy 推奨データセット headers (住所, 方書, NO, …) are mapped to the current names;
- codes that lost their leading zero in Excel (92011) are restored when the result has a valid check digit;
- swapped latitude and longitude are swapped back; 有/無, 1/empty flags, dates, times, phone numbers,
  integers, URLs and kana are checked and, where unambiguous, normalised;
- every problem carries its spreadsheet row (the header is row 1) and column, in Japanese (or English).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from madoguchi.core.dates import DateParseError, parse_date
from madoguchi.core.validators import normalize_katakana, normalize_phone_number, validate_local_government_code

from .standards import Column, Standard

MAX_PROBLEMS = 1000  # kept per upload; the total count is always reported
MAX_COLUMNS = 300
MAX_CELL_LENGTH = 10_000
# Japan, generously: latitude 20–46 °N, longitude 122–154 °E.
LATITUDE_RANGE = (20.0, 46.0)
LONGITUDE_RANGE = (122.0, 154.0)

ERROR = "error"
FIXED = "fixed"


class TableError(Exception):
    """The file cannot be read as a table at all (the message says why, in the active language)."""


@dataclass(frozen=True)
class Problem:
    row: int  # spreadsheet row: the header is row 1, the first data row is row 2
    column: str
    message: str
    severity: str = ERROR

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "severity": self.severity}


@dataclass
class ValidationReport:
    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error_count: int = 0
    fixed_count: int = 0
    legacy_headers: bool = False

    @property
    def conforms(self) -> bool:
        return self.error_count == 0

    def add(self, problem: Problem) -> None:
        if problem.severity == ERROR:
            self.error_count += 1
        else:
            self.fixed_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


# --- reading -------------------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str]:
    """The text and a label of the encoding it was in."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise TableError(_("文字コードを判別できませんでした。UTF-8 で保存し直してください。")) from exc
    try:
        return raw.decode("utf-8", errors="strict"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp932", errors="strict"), "Shift_JIS (cp932)"
    except UnicodeDecodeError as exc:
        raise TableError(_("文字コードを判別できませんでした。UTF-8 で保存し直してください。")) from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)


def read_table(raw: bytes, filename: str = "") -> tuple[list[str], Iterator[list[str]], str]:
    """(headers, data rows, encoding label) of a CSV or XLSX file."""
    if raw.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return _read_xlsx(raw)
    text, encoding = decode(raw)
    if "\x00" in text:
        raise TableError(_("CSV ファイルとして読めませんでした。CSV か XLSX を選んでください。"))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise TableError(_("ファイルが空です。")) from exc
    except csv.Error as exc:
        raise TableError(_("CSV ファイルとして読めませんでした。CSV か XLSX を選んでください。")) from exc
    return headers, _csv_rows(reader), encoding


def _csv_rows(reader: Iterable[list[str]]) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise TableError(_("CSV ファイルとして読めませんでした。CSV か XLSX を選んでください。")) from exc


def _read_xlsx(raw: bytes) -> tuple[list[str], Iterator[list[str]], str]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TableError(_("XLSX ファイルとして読めませんでした。")) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        headers = [_cell_text(value) for value in next(rows)]
    except StopIteration as exc:
        raise TableError(_("ファイルが空です。")) from exc
    while headers and not headers[-1]:
        headers.pop()

    def data() -> Iterator[list[str]]:
        for values in rows:
            yield [_cell_text(value) for value in values[: len(headers)]]
        workbook.close()

    return headers, data(), "XLSX"


# --- headers -------------------------------------------------------------------------------------------


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip()


def map_headers(headers: list[str], standard: Standard | None, report: ValidationReport) -> list[str]:
    """The current column name for each uploaded header (legacy names mapped); problems for the rest."""
    clean = [_key(header) for header in headers]
    if standard is None:
        return clean
    current = {_key(name): name for name in standard.column_names}
    legacy = {_key(old): new for old, new in standard.legacy_mapping.items()}
    mapped: list[str] = []
    for position, header in enumerate(clean, start=1):
        if header in current:
            mapped.append(current[header])
        elif header in legacy and legacy[header] not in mapped:
            mapped.append(legacy[header])
            report.legacy_headers = True
            report.add(
                Problem(
                    1,
                    header,
                    _("旧形式（推奨データセット）の列名「%(old)s」を「%(new)s」として読みました。")
                    % {"old": header, "new": legacy[header]},
                    FIXED,
                )
            )
        elif header in mapped or (header in current and current[header] in mapped):
            mapped.append("")
            report.add(
                Problem(
                    1,
                    header,
                    _("%(position)s列目「%(name)s」は重複しています。") % {"position": position, "name": header},
                )
            )
        else:
            mapped.append("")
            if header:
                report.add(
                    Problem(
                        1,
                        header,
                        _("「%(name)s」は%(standard)sの列ではありません。")
                        % {"name": header, "standard": standard.name},
                    )
                )
            else:
                report.add(Problem(1, str(position), _("%(position)s列目の列名が空です。") % {"position": position}))
    for column in standard.columns:
        if column.required and column.name not in mapped:
            report.add(Problem(1, column.name, _("必須の列「%(name)s」がありません。") % {"name": column.name}))
    return mapped


# --- cells ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, line feed and carriage return stay
_TIME = re.compile(r"^(\d{1,2})(?::|時)(\d{1,2})?分?$")
_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_YES = {"有", "有り", "あり", "○", "〇"}
_NO = {"無", "無し", "なし", "×", "✕"}


def _check_cell(column: Column, value: str) -> tuple[str, str | None, bool]:
    """(normalised value, problem message or None, whether the problem was fixed)."""
    if column.type == "string" and not column.vocabulary:
        return value, None, False
    text = unicodedata.normalize("NFKC", value).strip()
    kind = column.type
    if column.vocabulary:
        if text in column.vocabulary:
            return text, None, False
        return (
            value,
            _("「%(value)s」は使えません。次のどれかにしてください：%(choices)s")
            % {
                "value": value,
                "choices": " / ".join(column.vocabulary),
            },
            False,
        )
    if kind == "code":
        digits = text.replace("-", "")
        if re.fullmatch(r"\d{5}", digits):
            restored = "0" + digits
            try:
                validate_local_government_code(restored)
            except ValidationError:
                return value, _("全国地方公共団体コードは検査数字を含む6桁です（例：162043）。"), False
            return restored, _("先頭の0が落ちていたため「%(value)s」に直しました。") % {"value": restored}, True
        try:
            validate_local_government_code(digits)
        except ValidationError as exc:
            return value, str(exc.messages[0]), False
        return digits, None, False
    if kind == "yesno":
        if text in ("有", "無"):
            return text, None, False
        if text in _YES or text in _NO:
            fixed = "有" if text in _YES else "無"
            return fixed, _("「%(value)s」を「%(fixed)s」に直しました。") % {"value": value, "fixed": fixed}, True
        return value, _("「有」か「無」で入力してください。"), False
    if kind == "flag":
        if text in ("1", ""):
            return text, None, False
        if text in ("○", "〇"):
            return "1", _("「%(value)s」を「%(fixed)s」に直しました。") % {"value": value, "fixed": "1"}, True
        return value, _("対応する場合は「1」、しない場合は空欄にしてください。"), False
    if kind == "time":
        match = _TIME.match(text)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            if (hour < 24 and minute < 60) or (hour == 24 and minute == 0):
                fixed = f"{hour:02d}:{minute:02d}"
                return (
                    fixed,
                    (
                        None
                        if fixed == value
                        else _("「%(value)s」を「%(fixed)s」に直しました。") % {"value": value, "fixed": fixed}
                    ),
                    fixed != value,
                )
        return value, _("時刻は hh:mm の形で入力してください（例：09:00）。"), False
    if kind == "date":
        try:
            parsed = parse_date(text)
        except DateParseError:
            return value, _("日付は YYYY-MM-DD の形で入力してください（例：2026-04-01）。"), False
        fixed = parsed.isoformat()
        if fixed == value:
            return fixed, None, False
        return fixed, _("「%(value)s」を「%(fixed)s」に直しました。") % {"value": value, "fixed": fixed}, True
    if kind == "phone":
        try:
            normalize_phone_number(text)
        except ValidationError:
            return value, _("電話番号の形が正しくありません（例：0765-23-1000）。"), False
        return text, None, False
    if kind == "integer":
        compact = text.replace(",", "").replace(" ", "")
        if _INTEGER.match(compact):
            return (
                compact,
                (
                    None
                    if compact == value
                    else _("「%(value)s」を「%(fixed)s」に直しました。") % {"value": value, "fixed": compact}
                ),
                compact != value,
            )
        return value, _("半角の整数で入力してください。"), False
    if kind == "decimal":
        if _DECIMAL.match(text):
            return text, None, False
        return value, _("半角の数値で入力してください。"), False
    if kind == "url":
        if re.fullmatch(r"https?://[^\s]+", text):
            return text, None, False
        return value, _("http:// か https:// で始まる URL を入力してください。"), False
    if kind == "kana":
        try:
            fixed = normalize_katakana(text)
        except ValidationError:
            return value, _("カタカナで入力してください。"), False
        return fixed, None, False
    if kind == "email":
        try:
            validate_email(text)
        except ValidationError:
            return value, _("メールアドレスの形が正しくありません。"), False
        return text, None, False
    return value, None, False


def _number(value: str) -> float | None:
    try:
        return float(unicodedata.normalize("NFKC", value).strip())
    except ValueError:
        return None


def _inside(value: float | None, bounds: tuple[float, float]) -> bool:
    return value is not None and bounds[0] <= value <= bounds[1]


def _check_coordinates(row: dict[str, str], line: int, report: ValidationReport) -> None:
    lat_text, lon_text = row.get("緯度", ""), row.get("経度", "")
    if not lat_text.strip() and not lon_text.strip():
        return
    lat, lon = _number(lat_text), _number(lon_text)
    if _inside(lat, LATITUDE_RANGE) and _inside(lon, LONGITUDE_RANGE):
        row["緯度"], row["経度"] = lat_text.strip(), lon_text.strip()
        return
    if _inside(lon, LATITUDE_RANGE) and _inside(lat, LONGITUDE_RANGE):
        row["緯度"], row["経度"] = lon_text.strip(), lat_text.strip()
        report.add(Problem(line, "緯度", _("緯度と経度が入れ替わっていたため、入れ替えました。"), FIXED))
        return
    if not _inside(lat, LATITUDE_RANGE):
        report.add(Problem(line, "緯度", _("緯度は日本の範囲（20〜46）の10進数で入力してください。")))
    if not _inside(lon, LONGITUDE_RANGE):
        report.add(Problem(line, "経度", _("経度は日本の範囲（122〜154）の10進数で入力してください。")))


def validate_table(
    headers: list[str], rows: Iterable[list[str]], standard: Standard | None, *, encoding: str = "", max_rows: int
) -> ValidationReport:
    """Check every cell; the report holds the normalised rows (dicts in the standard's column order)."""
    report = ValidationReport(encoding=encoding)
    if len(headers) > MAX_COLUMNS:
        raise TableError(_("列が多すぎます（%(max)s列まで）。") % {"max": MAX_COLUMNS})
    mapped = map_headers(headers, standard, report)
    if standard is not None:
        report.columns = standard.column_names
        columns = {column.name: column for column in standard.columns}
    else:
        report.columns = [name for name in mapped if name]
        columns = {}
        if len(set(report.columns)) != len(report.columns) or not report.columns:
            raise TableError(_("列名が空か重複しています。1行目に重複しない列名を入れてください。"))
    for line, values in enumerate(rows, start=2):
        if line - 1 > max_rows:
            raise TableError(_("行が多すぎます（%(max)s行まで）。") % {"max": f"{max_rows:,}"})
        if not any(value.strip() for value in values):
            continue  # blank lines (Excel leaves them at the end)
        row = dict.fromkeys(report.columns, "")
        for name, value in zip(mapped, values, strict=False):
            if name:
                row[name] = _CONTROL.sub("", value[:MAX_CELL_LENGTH])
        if len(values) > len(mapped) and any(value.strip() for value in values[len(mapped) :]):
            report.add(Problem(line, str(len(mapped) + 1), _("列名のない列に値があります。")))
        for name, column in columns.items():
            value = row[name]
            if not value.strip():
                row[name] = ""
                # A flag's empty cell is a value (非対応): its column is required, not every cell.
                if column.required and column.type != "flag":
                    report.add(Problem(line, name, _("必須の項目が空です。")))
                continue
            if column.type in ("latitude", "longitude"):
                continue
            fixed, message, was_fixed = _check_cell(column, value)
            row[name] = fixed
            if message:
                report.add(Problem(line, name, message, FIXED if was_fixed else ERROR))
        if standard is not None and "緯度" in columns:
            _check_coordinates(row, line, report)
        report.rows.append(row)
    return report


def validate_upload(raw: bytes, filename: str, standard: Standard | None, *, max_rows: int) -> ValidationReport:
    headers, rows, encoding = read_table(raw, filename)
    return validate_table(headers, rows, standard, encoding=encoding, max_rows=max_rows)


def validate_rows(rows: Iterable[dict[str, Any]], standard: Standard, *, max_rows: int) -> ValidationReport:
    """Validate rows a provider supplied (dicts in the standard's columns) exactly like an upload."""
    names = standard.column_names
    return validate_table(
        names, ([_cell_text(row.get(name)) for name in names] for row in rows), standard, encoding="", max_rows=max_rows
    )
