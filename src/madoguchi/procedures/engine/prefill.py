"""Prefill (書かない): fill fields from what the platform already knows, so nobody is asked twice.

Sources, named in a field's "prefill" (one, or a list tried in order):
- profile.*: the resident's accounts Profile as a dict (family_name, given_name, family_name_kana,
  given_name_kana, birth_date, postal_code, prefecture, city, town, street, building, phone) plus "email";
- claims.*: OpenID Connect claims from the identity provider (基本4情報: name, address, birthdate), read with
  the identity app's claim mapping.

What the resident already typed always wins: a field that has an answer is never overwritten, and a 氏名 or
住所 is filled as a whole or not at all (a typed 町字 is never paired with a prefilled 市区町村).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from madoguchi.core.validators import normalize_katakana, normalize_phone_number, normalize_postal_code
from madoguchi.identity import claims as claim_mapping

from .conditions import is_answered
from .definition import ADDRESS_PARTS, FieldDef, FormDefinition
from .forms import ADDRESS_LIMITS, NAME_LIMITS
from .postcodes import PREFECTURE_NAMES


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if not text or len(text) > limit or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return ""
    return text


def _kana(value: Any) -> str:
    text = _text(value, 100)
    if not text:
        return ""
    try:
        return normalize_katakana(text)
    except ValidationError:
        return ""


def _iso_date(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            return ""
    return ""


def _name_from(source: str, profile: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, str]:
    if source == "profile.name":
        return {
            "family_name": _text(profile.get("family_name"), NAME_LIMITS["family_name"]),
            "given_name": _text(profile.get("given_name"), NAME_LIMITS["given_name"]),
            "family_name_kana": _kana(profile.get("family_name_kana")),
            "given_name_kana": _kana(profile.get("given_name_kana")),
        }
    mapped = claim_mapping.name_fields(dict(claims))
    return {
        "family_name": _text(mapped.get("family_name"), NAME_LIMITS["family_name"]),
        "given_name": _text(mapped.get("given_name"), NAME_LIMITS["given_name"]),
    }


def _name(member: FieldDef, profile: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, str] | None:
    """The first source with a name decides 姓名; フリガナ may come from a later source only if it has the same name."""
    chosen: dict[str, str] | None = None
    for source in member.prefill:
        candidate = _name_from(source, profile, claims)
        if not candidate.get("family_name"):
            continue
        if chosen is None:
            chosen = dict(candidate)
        elif (candidate["family_name"], candidate.get("given_name")) != (
            chosen["family_name"],
            chosen.get("given_name"),
        ):
            continue
        for part in ("family_name_kana", "given_name_kana"):
            if not chosen.get(part) and candidate.get(part):
                chosen[part] = candidate[part]
    if chosen is None:
        return None
    parts = (
        ("family_name", "given_name", "family_name_kana", "given_name_kana")
        if member.kana
        else ("family_name", "given_name")
    )
    return {part: chosen.get(part, "") for part in parts if chosen.get(part)}


def _address_from(source: str, profile: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, str]:
    raw = dict(profile) if source == "profile.address" else claim_mapping.address_fields(dict(claims))
    result = {part: "" for part in ADDRESS_PARTS}
    try:
        result["postal_code"] = (
            normalize_postal_code(raw["postal_code"])
            if isinstance(raw.get("postal_code"), str) and raw.get("postal_code")
            else ""
        )
    except ValidationError:
        result["postal_code"] = ""
    prefecture = _text(raw.get("prefecture"), 10)
    result["prefecture"] = prefecture if prefecture in PREFECTURE_NAMES else ""
    for part, limit in ADDRESS_LIMITS.items():
        result[part] = _text(raw.get(part), limit)
    return result


def _scalar(source: str, member: FieldDef, profile: Mapping[str, Any], claims: Mapping[str, Any]) -> Any:
    key = source.split(".", 1)[1]
    if source == "claims.birthdate":
        born = claim_mapping.birth_date(dict(claims))
        return born.isoformat() if born else None
    if source == "claims.name":  # a short_text: the full name in one line
        name = _name_from(source, profile, claims)
        return "\u3000".join(part for part in (name.get("family_name"), name.get("given_name")) if part) or None
    if key == "birth_date":
        return _iso_date(profile.get("birth_date")) or None
    if key == "phone":
        try:
            return normalize_phone_number(profile.get("phone") or "") if isinstance(profile.get("phone"), str) else None
        except ValidationError:
            return None
    if key == "email":
        email = _text(profile.get("email"), 254)
        try:
            validate_email(email)
        except ValidationError:
            return None
        return email
    if key in ("full_name", "full_name_kana"):
        suffix = "_kana" if key.endswith("_kana") else ""
        reader = _kana if suffix else (lambda value: _text(value, 50))
        parts = [reader(profile.get(f"family_name{suffix}")), reader(profile.get(f"given_name{suffix}"))]
        return "\u3000".join(part for part in parts if part) or None
    if key in ("family_name_kana", "given_name_kana"):
        return _kana(profile.get(key)) or None
    limit = member.max_length or 200
    return _text(profile.get(key), limit) or None


def prefill_with_sources(
    definition: FormDefinition,
    profile: Mapping[str, Any] | None,
    claims: Mapping[str, Any] | None,
    answers: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """(initial answers, {field id: source used}) — the sources let a page say where a value came from."""
    profile = profile if isinstance(profile, Mapping) else {}
    claims = claims if isinstance(claims, Mapping) else {}
    result: dict[str, Any] = dict(answers or {})
    used: dict[str, str] = {}
    for member in definition.fields():
        if not member.prefill or is_answered(result.get(member.id)):
            continue
        value: Any = None
        source_used = ""
        if member.type == "name":
            value = _name(member, profile, claims)
            source_used = next((s for s in member.prefill if _name_from(s, profile, claims).get("family_name")), "")
        elif member.type == "address":
            for source in member.prefill:
                candidate = _address_from(source, profile, claims)
                if candidate["prefecture"] or candidate["city"]:
                    value, source_used = candidate, source
                    break
        else:
            for source in member.prefill:
                candidate = _scalar(source, member, profile, claims)
                if candidate:
                    value, source_used = candidate, source
                    break
        if value and is_answered(value):
            result[member.id] = value
            used[member.id] = source_used
    return result, used


def prefill(
    definition: FormDefinition,
    profile: Mapping[str, Any] | None,
    claims: Mapping[str, Any] | None,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Initial answers: `answers` (what the resident typed) with empty prefillable fields filled in."""
    return prefill_with_sources(definition, profile, claims, answers)[0]
