"""From 基本4情報 claims (氏名・住所・生年月日・性別) to the fields of an accounts Profile.

The claim names and shapes デジタル認証アプリ returns were not confirmed from its API reference when this was
written, so the mapping accepts both the OpenID Connect standard shapes (family_name/given_name, an
`address` object, `birthdate` as YYYY-MM-DD) and the plain forms a card-based provider is likely to send
(`name` as one string with a space between 氏 and 名, `address` as one string). Anything that does not fit the
Profile's fields is left out rather than stored half-right: the resident can always type it.
性別 (gender) is never stored: no service needs it yet, and data not needed is data not kept.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any

# Claim names that make up 基本4情報; only their names (never values) are recorded on the link.
BASIC_FOUR_CLAIMS = ("name", "family_name", "given_name", "address", "birthdate", "gender")

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

# 郡 (optional) then the 市区町村 name. Known limit: a city whose name itself contains 市/町/村 before its
# end (四日市市, 廿日市市, 野々市市) is cut short; the rest of the address then lands in `town` and the
# resident can correct it. The address normaliser planned for the platform will replace this.
_CITY = re.compile(r"^((?:.+?郡)?.+?[市区町村])(.*)$")

FIELD_LIMITS = {"family_name": 50, "given_name": 50, "prefecture": 10, "city": 50, "town": 100, "street": 100}
NAME_FIELDS = ("family_name", "given_name")
ADDRESS_FIELDS = ("postal_code", "prefecture", "city", "town", "street", "building")


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else ""


def _fits(field: str, value: str) -> bool:
    return bool(value) and len(value) <= FIELD_LIMITS.get(field, 100)


def name_fields(claims: dict[str, Any]) -> dict[str, str]:
    family, given = _text(claims.get("family_name")), _text(claims.get("given_name"))
    if not (family or given):
        full = _text(claims.get("name"))
        if not full:
            return {}
        parts = re.split(r"[ \u3000]+", full, maxsplit=1)
        # Without a space we cannot tell 氏 from 名: the whole name goes to 姓 and 名 stays empty.
        family, given = (parts[0], parts[1]) if len(parts) == 2 else (full, "")
    result = {}
    for field, value in (("family_name", family), ("given_name", given)):
        if value:
            if not _fits(field, value):
                return {}
            result[field] = value
    return result


def _postal_code(value: Any) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", _text(value)) if ch.isdigit())
    return digits if len(digits) == 7 else ""


def _split_address(text: str) -> dict[str, str]:
    text = re.sub(r"^〒?\s*[0-9０-９]{3}[-－ー]?[0-9０-９]{4}\s*", "", text)
    prefecture = next((p for p in PREFECTURES if text.startswith(p)), "")
    if not prefecture:
        return {}
    match = _CITY.match(text[len(prefecture) :])
    if not match:
        return {}
    return {"prefecture": prefecture, "city": match.group(1).strip(), "town": match.group(2).strip()}


def address_fields(claims: dict[str, Any]) -> dict[str, str]:
    address = claims.get("address")
    result: dict[str, str] = {}
    if isinstance(address, dict):
        postal = _postal_code(address.get("postal_code"))
        region, locality = _text(address.get("region")), _text(address.get("locality"))
        street = _text(address.get("street_address"))
        if region in PREFECTURES and locality:
            result.update(prefecture=region, city=locality, town=street)
        else:
            result.update(_split_address(_text(address.get("formatted"))))
        if postal:
            result["postal_code"] = postal
    elif isinstance(address, str):
        result.update(_split_address(_text(address)))
    result = {field: value for field, value in result.items() if value}
    if any(field in FIELD_LIMITS and not _fits(field, value) for field, value in result.items()):
        return {}
    return result if result.get("prefecture") or result.get("city") else {}


def birth_date(claims: dict[str, Any]) -> datetime.date | None:
    text = unicodedata.normalize("NFKC", _text(claims.get("birthdate")))
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    if not match or match.group(1) == "0000":  # 0000 = year withheld (OIDC Core §5.1)
        return None
    try:
        day = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return day if day <= datetime.date.today() else None


def profile_prefill(claims: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Profile values to set from the claims, never overwriting what the resident already entered.

    Groups are filled as a whole or not at all: the name only when 姓 and 名 are both empty, the address
    only when every address field is empty (a typed 町字 must not be paired with a claimed 市区町村).
    """
    updates: dict[str, Any] = {}
    if not any(current.get(field) for field in NAME_FIELDS):
        updates.update(name_fields(claims))
    if not any(current.get(field) for field in ADDRESS_FIELDS):
        updates.update(address_fields(claims))
    if current.get("birth_date") is None:
        born = birth_date(claims)
        if born is not None:
            updates["birth_date"] = born
    return updates


def received_claim_names(claims: dict[str, Any]) -> list[str]:
    return sorted(name for name in BASIC_FOUR_CLAIMS if claims.get(name) not in (None, "", {}))
