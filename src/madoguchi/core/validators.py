"""Validators and normalisers shared by every module (codes, kana, postcodes, phone numbers)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def local_government_code_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード: (11 - Σ(weight × digit) mod 11) mod 10, weights 6..2."""
    total = sum(weight * int(digit) for weight, digit in zip((6, 5, 4, 3, 2), first_five, strict=True))
    return (11 - total % 11) % 10


def validate_local_government_code(value: str) -> None:
    if not re.fullmatch(r"\d{6}", value or ""):
        raise ValidationError(_("全国地方公共団体コードは6桁の数字で入力してください。"), code="format")
    if local_government_code_check_digit(value[:5]) != int(value[5]):
        raise ValidationError(
            _("全国地方公共団体コードの検査数字が正しくありません。6桁目をご確認ください。"), code="check_digit"
        )


def to_halfwidth(value: str) -> str:
    """NFKC folds full-width digits, letters and hyphens that residents type with Japanese IMEs."""
    return unicodedata.normalize("NFKC", value or "").strip()


_HYPHENS = "-‐‑‒–—―−ー－ｰ"


def normalize_postal_code(value: str) -> str:
    digits = "".join(ch for ch in to_halfwidth(value) if ch not in _HYPHENS and ch not in " 〒")
    if not re.fullmatch(r"\d{7}", digits):
        raise ValidationError(_("郵便番号は7桁の数字で入力してください（例：939-1692）。"), code="postal_code")
    return digits


def format_postal_code(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:]}" if digits and len(digits) == 7 else digits or ""


def normalize_phone_number(value: str) -> str:
    """Accept 0761-23-4567, (0761)23-4567, ０７６１２３４５６７ and +81 forms; store digits only."""
    text = to_halfwidth(value)
    if text.startswith("+81"):
        text = "0" + text[3:]
    digits = "".join(ch for ch in text if ch.isdigit())
    stripped = "".join(ch for ch in text if ch not in _HYPHENS + "() 　")
    if not stripped.isdigit() or not re.fullmatch(r"0\d{9,10}", digits):
        raise ValidationError(
            _("電話番号は0から始まる10桁または11桁の数字で入力してください（例：0763-23-2000）。"), code="phone"
        )
    return digits


_KATAKANA = re.compile(r"^[\u30A0-\u30FF\u3000 ・ー]+$")


def normalize_katakana(value: str) -> str:
    """フリガナ: accept hiragana or half-width katakana and store full-width katakana."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    text = "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)
    if not _KATAKANA.fullmatch(text):
        raise ValidationError(_("フリガナはカタカナで入力してください。"), code="katakana")
    return text
