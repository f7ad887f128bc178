"""Japanese text folding for search: what residents type should find what staff wrote, whatever the width,
case or kana (「じゅうみんひょう」「ジュウミンヒョウ」「住民票」 and 「ｼﾞｭｳﾐﾝ」 all match)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """NFKC (full/half width), lower case, katakana → hiragana."""
    normalized = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch for ch in normalized)


def terms(query: str, *, limit: int = 8, max_length: int = 40) -> list[str]:
    """The search terms of a query: split on spaces (full-width too), folded, de-duplicated, bounded."""
    unique: list[str] = []
    for term in fold(query).split():
        term = term[:max_length]
        if term and term not in unique:
            unique.append(term)
    return unique[:limit]
