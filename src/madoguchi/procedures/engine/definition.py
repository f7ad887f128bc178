"""Form definitions: the versioned JSON a DX office writes in the form builder, checked and frozen.

A definition arrives from the staff form builder, from an import or from an API client: nothing in it is
trusted. `validate_definition` reads it with strict rules (known keys only, bounded sizes, ids that cannot
collide with the form field names the engine derives from them, conditions that only look backwards) and
returns immutable dataclasses the rest of the engine works on. Every problem is reported with a JSON-path-like
location (`$.pages[1].fields[0].options`) and a message staff can act on. The format is documented in
docs/form-definition.md.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SCHEMA_VERSION = 1

SIMPLE_TYPES = (
    "short_text",
    "long_text",
    "number",
    "date",
    "single_choice",
    "multiple_choice",
    "phone",
    "email",
    "file",
)
COMPOSITE_TYPES = ("name", "address")
FIELD_TYPES = (*SIMPLE_TYPES, *COMPOSITE_TYPES, "repeated_group", "consent")
# What a repeated group may contain: one level only, and no declaration inside a repetition.
GROUP_MEMBER_TYPES = (*SIMPLE_TYPES, *COMPOSITE_TYPES)

NAME_PARTS = ("family_name", "given_name", "family_name_kana", "given_name_kana")
ADDRESS_PARTS = ("postal_code", "prefecture", "city", "town", "street", "building")

# Upload kinds a definition may allow, with the content types each stands for. Content is checked by the
# upload handling (outside the engine); the engine checks the declared metadata against these.
FILE_KINDS: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "image": ("image/jpeg", "image/png", "image/webp"),
    "office": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}

# prefill source → field types it can fill.
PREFILL_SOURCES: dict[str, tuple[str, ...]] = {
    "profile.name": ("name",),
    "profile.full_name": ("short_text",),
    "profile.full_name_kana": ("short_text",),
    "profile.family_name": ("short_text",),
    "profile.given_name": ("short_text",),
    "profile.family_name_kana": ("short_text",),
    "profile.given_name_kana": ("short_text",),
    "profile.birth_date": ("date",),
    "profile.address": ("address",),
    "profile.phone": ("phone",),
    "profile.email": ("email",),
    "claims.name": ("name", "short_text"),
    "claims.address": ("address",),
    "claims.birthdate": ("date",),
}

# Limits: a definition is data from outside, so every list and string has a ceiling.
MAX_PAGES = 100
MAX_FIELDS_PER_PAGE = 100
MAX_FIELDS_TOTAL = 500
MAX_OPTIONS = 200
MAX_GROUP_FIELDS = 30
MAX_GROUP_ITEMS = 100
MAX_CONDITION_DEPTH = 6
MAX_CONDITION_BRANCHES = 20
MAX_IN_VALUES = 200
MAX_FEE_ITEMS = 50
MAX_FEE_QUANTITY = 10_000
MAX_FILE_SIZE_MB = 50
MAX_NUMBER = Decimal(10) ** 15
SHORT_TEXT_DEFAULT, SHORT_TEXT_LIMIT = 200, 1000
LONG_TEXT_DEFAULT, LONG_TEXT_LIMIT = 2000, 10_000
LABEL_LIMIT, HINT_LIMIT, DECLARATION_LIMIT = 200, 2000, 5000

# Ids become form field names (<field>__<part>, <group>__<n>__<sub>): lower-case, no double underscore.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
ID_MAX_LENGTH = 40
OPTION_VALUE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
FEE_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")

LEAF_OPERATORS = ("equals", "not_equals", "in", "is_answered")
BRANCH_OPERATORS = ("all", "any", "not")


def active_language(language: str | None = None) -> str:
    code = language or get_language() or "ja"
    return "en" if code.lower().startswith("en") else "ja"


@dataclass(frozen=True)
class LocalizedText:
    """Text in Japanese (always) and English (optional: Japanese is shown when it is missing)."""

    ja: str
    en: str = ""

    def get(self, language: str | None = None) -> str:
        return self.en if active_language(language) == "en" and self.en else self.ja

    def to_dict(self) -> dict[str, str]:
        return {"ja": self.ja, "en": self.en} if self.en else {"ja": self.ja}


@dataclass(frozen=True)
class Option:
    value: str
    label: LocalizedText


@dataclass(frozen=True)
class Condition:
    """One node of a condition tree. Leaves test one earlier field; branches combine conditions."""

    operator: str  # equals | not_equals | in | is_answered | all | any | not
    field: str = ""
    value: Any = None  # a JSON scalar; a tuple for `in`; a bool for `is_answered`
    children: tuple[Condition, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.operator in ("all", "any"):
            return {self.operator: [child.to_dict() for child in self.children]}
        if self.operator == "not":
            return {"not": self.children[0].to_dict()}
        value = list(self.value) if self.operator == "in" else self.value
        return {"field": self.field, self.operator: value}

    def referenced_fields(self) -> Iterator[str]:
        if self.field:
            yield self.field
        for child in self.children:
            yield from child.referenced_fields()


@dataclass(frozen=True)
class FieldDef:
    id: str
    type: str
    label: LocalizedText
    required: bool = True
    hint: LocalizedText | None = None
    condition: Condition | None = None
    prefill: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    max_length: int | None = None  # short_text, long_text
    min_value: Decimal | None = None  # number
    max_value: Decimal | None = None
    decimal_places: int = 0
    unit: LocalizedText | None = None
    min_date: str | None = None  # date: "today" or YYYY-MM-DD
    max_date: str | None = None
    min_choices: int | None = None  # multiple_choice
    max_choices: int | None = None
    kana: bool = True  # name: ask for フリガナ
    max_size_mb: Decimal | None = None  # file
    kinds: tuple[str, ...] = ()
    fields: tuple[FieldDef, ...] = ()  # repeated_group members
    min_items: int = 0
    max_items: int = 0
    item_label: LocalizedText | None = None
    declaration: LocalizedText | None = None  # consent

    def option_label(self, value: Any, language: str | None = None) -> str:
        for option in self.options:
            if option.value == value:
                return option.label.get(language)
        return str(value)

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    @property
    def content_types(self) -> tuple[str, ...]:
        return tuple(content_type for kind in self.kinds for content_type in FILE_KINDS[kind])

    @property
    def max_bytes(self) -> int:
        return int((self.max_size_mb or Decimal(0)) * 1024 * 1024)

    @property
    def effective_min_items(self) -> int:
        return max(self.min_items, 1 if self.required else 0)

    def member(self, member_id: str) -> FieldDef | None:
        return next((sub for sub in self.fields if sub.id == member_id), None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label.to_dict()}
        if self.type != "consent":
            data["required"] = self.required
        if self.hint:
            data["hint"] = self.hint.to_dict()
        if self.condition:
            data["condition"] = self.condition.to_dict()
        if self.prefill:
            data["prefill"] = self.prefill[0] if len(self.prefill) == 1 else list(self.prefill)
        if self.options:
            data["options"] = [{"value": o.value, "label": o.label.to_dict()} for o in self.options]
        if self.max_length is not None:
            data["max_length"] = self.max_length
        if self.type == "number":
            if self.min_value is not None:
                data["min"] = _json_number(self.min_value)
            if self.max_value is not None:
                data["max"] = _json_number(self.max_value)
            if self.decimal_places:
                data["decimal_places"] = self.decimal_places
            if self.unit:
                data["unit"] = self.unit.to_dict()
        if self.type == "date":
            if self.min_date:
                data["min"] = self.min_date
            if self.max_date:
                data["max"] = self.max_date
        if self.type == "multiple_choice":
            if self.min_choices is not None:
                data["min"] = self.min_choices
            if self.max_choices is not None:
                data["max"] = self.max_choices
        if self.type == "name" and not self.kana:
            data["kana"] = False
        if self.type == "file":
            data["max_size_mb"] = _json_number(self.max_size_mb or Decimal(0))
            data["kinds"] = list(self.kinds)
        if self.type == "repeated_group":
            data["fields"] = [sub.to_dict() for sub in self.fields]
            data["min_items"] = self.min_items
            data["max_items"] = self.max_items
            if self.item_label:
                data["item_label"] = self.item_label.to_dict()
        if self.declaration:
            data["declaration"] = self.declaration.to_dict()
        return data


@dataclass(frozen=True)
class Page:
    id: str
    title: LocalizedText
    fields: tuple[FieldDef, ...]
    hint: LocalizedText | None = None
    condition: Condition | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title.to_dict()}
        if self.hint:
            data["hint"] = self.hint.to_dict()
        if self.condition:
            data["condition"] = self.condition.to_dict()
        data["fields"] = [f.to_dict() for f in self.fields]
        return data


@dataclass(frozen=True)
class FeeItem:
    code: str
    quantity: int = 1
    quantity_field: str | None = None
    label: LocalizedText | None = None
    condition: Condition | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code}
        if self.quantity_field:
            data["quantity_field"] = self.quantity_field
        elif self.quantity != 1:
            data["quantity"] = self.quantity
        if self.label:
            data["label"] = self.label.to_dict()
        if self.condition:
            data["condition"] = self.condition.to_dict()
        return data


@dataclass(frozen=True)
class FeeRules:
    items: tuple[FeeItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"items": [item.to_dict() for item in self.items]}


@dataclass(frozen=True)
class FormDefinition:
    schema: int
    pages: tuple[Page, ...]
    fee: FeeRules | None = None
    _field_index: dict[str, tuple[Page, FieldDef]] = dataclass_field(default_factory=dict, repr=False, compare=False)

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise UnknownPageError(page_id)

    def field(self, field_id: str) -> FieldDef | None:
        entry = self._field_index.get(field_id)
        return entry[1] if entry else None

    def page_of(self, field_id: str) -> Page | None:
        entry = self._field_index.get(field_id)
        return entry[0] if entry else None

    def fields(self) -> Iterator[FieldDef]:
        for page in self.pages:
            yield from page.fields

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema": self.schema, "pages": [page.to_dict() for page in self.pages]}
        if self.fee:
            data["fee"] = self.fee.to_dict()
        return data


class UnknownPageError(LookupError):
    """A page id that the definition does not have (a stale link or a hand-made URL)."""


@dataclass(frozen=True)
class DefinitionIssue:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class DefinitionError(ValueError):
    """The definition cannot be used. `issues` lists every problem found, each with where it is."""

    def __init__(self, issues: list[DefinitionIssue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues[:20]))

    @property
    def location(self) -> str:
        return self.issues[0].location

    @property
    def message(self) -> str:
        return self.issues[0].message


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def resolve_date_bound(value: str | None, today: datetime.date | None = None) -> datetime.date | None:
    if value is None:
        return None
    if value == "today":
        return today or datetime.date.today()
    return datetime.date.fromisoformat(value)


# ---------------------------------------------------------------------------------------------------------
# Reading the JSON


class _Reader:
    """Walks untrusted JSON, collecting issues; returns None for a part it could not read."""

    def __init__(self, fee_table: Mapping[str, Any] | None):
        self.issues: list[DefinitionIssue] = []
        self.fee_table = fee_table
        # Top-level fields defined so far, in order: conditions may only look at these.
        self.known: dict[str, FieldDef] = {}
        self.field_count = 0

    def error(self, location: str, message: Any, detail: Any = None) -> None:
        text = str(message) if detail is None else f"{message} ({str(detail)[:60]})"
        self.issues.append(DefinitionIssue(location, text))

    # -- primitives ------------------------------------------------------------------------------------

    def keys(self, path: str, data: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.error(f"{path}.{key}" if isinstance(key, str) else path, _("使用できないキーです。"), key)
        for key in required:
            if key not in data:
                self.error(f"{path}.{key}", _("必須のキーがありません。"))

    def obj(self, path: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, _("オブジェクト（{…}）で指定してください。"))
            return None
        return value

    def array(self, path: str, value: Any, minimum: int, maximum: int) -> list[Any] | None:
        if not isinstance(value, list):
            self.error(path, _("配列（[…]）で指定してください。"))
            return None
        if len(value) < minimum:
            self.error(path, _("%(min)s個以上指定してください。") % {"min": minimum})
            return None
        if len(value) > maximum:
            self.error(path, _("%(max)s個以内にしてください。") % {"max": maximum})
            return None
        return value

    def integer(self, path: str, value: Any, minimum: int, maximum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, _("整数で指定してください。"))
            return None
        if not minimum <= value <= maximum:
            self.error(path, _("%(min)sから%(max)sまでの整数で指定してください。") % {"min": minimum, "max": maximum})
            return None
        return value

    def number(self, path: str, value: Any) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, _("数値で指定してください。"))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, _("数値で指定してください。"))
            return None
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if abs(number) > MAX_NUMBER:
            self.error(path, _("数値が大きすぎます（絶対値は10の15乗まで）。"))
            return None
        return number

    def boolean(self, path: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.error(path, _("true か false で指定してください。"))
            return None
        return value

    def plain_text(self, path: str, value: Any, limit: int, *, multiline: bool = False) -> str | None:
        if not isinstance(value, str):
            self.error(path, _("文字列で指定してください。"))
            return None
        text = unicodedata.normalize("NFC", value).strip() if _encodable(value) else None
        if text is None or any(_is_control(ch, multiline) for ch in text):
            self.error(path, _("使用できない文字（制御文字）が含まれています。"))
            return None
        if len(text) > limit:
            self.error(path, _("%(max)s文字以内にしてください。") % {"max": limit})
            return None
        return text

    def text(self, path: str, value: Any, limit: int, *, multiline: bool = False) -> LocalizedText | None:
        """{"ja": "…", "en": "…"}; a bare string is Japanese only."""
        if isinstance(value, str):
            value = {"ja": value}
        data = self.obj(path, value)
        if data is None:
            return None
        self.keys(path, data, ("ja", "en"), ("ja",))
        ja = self.plain_text(f"{path}.ja", data.get("ja"), limit, multiline=multiline) if "ja" in data else None
        en = self.plain_text(f"{path}.en", data.get("en", ""), limit, multiline=multiline)
        if ja is not None and not ja:
            self.error(f"{path}.ja", _("日本語の文言を入力してください。"))
            return None
        if ja is None or en is None:
            return None
        return LocalizedText(ja, en)

    def identifier(self, path: str, value: Any) -> str | None:
        if not isinstance(value, str) or not ID_PATTERN.fullmatch(value) or len(value) > ID_MAX_LENGTH:
            self.error(
                path,
                _("IDは半角英小文字で始まり、英小文字・数字・1つずつの「_」だけを使って40文字以内にしてください。"),
            )
            return None
        return value

    # -- conditions ------------------------------------------------------------------------------------

    def condition(self, path: str, value: Any, known: Mapping[str, FieldDef], depth: int = 1) -> Condition | None:
        data = self.obj(path, value)
        if data is None:
            return None
        if depth > MAX_CONDITION_DEPTH:
            self.error(path, _("条件の入れ子が深すぎます（%(max)s段まで）。") % {"max": MAX_CONDITION_DEPTH})
            return None
        operators = [key for key in data if key in LEAF_OPERATORS or key in BRANCH_OPERATORS]
        if len(operators) != 1:
            self.error(
                path,
                _("条件には equals, not_equals, in, is_answered, all, any, not のどれか1つを指定してください。"),
            )
            return None
        operator = operators[0]
        if operator in BRANCH_OPERATORS:
            self.keys(path, data, (operator,), ())
            if operator == "not":
                child = self.condition(f"{path}.not", data["not"], known, depth + 1)
                return Condition("not", children=(child,)) if child else None
            items = self.array(f"{path}.{operator}", data[operator], 1, MAX_CONDITION_BRANCHES)
            if items is None:
                return None
            children = [
                self.condition(f"{path}.{operator}[{index}]", item, known, depth + 1)
                for index, item in enumerate(items)
            ]
            if any(child is None for child in children):
                return None
            return Condition(operator, children=tuple(c for c in children if c is not None))
        self.keys(path, data, ("field", operator), ("field",))
        if "field" not in data:
            return None
        field_id = data["field"]
        target = known.get(field_id) if isinstance(field_id, str) else None
        if target is None:
            self.error(
                f"{path}.field",
                _("条件で参照できるのは、この項目より前にある項目だけです（前のページか、同じページの前の項目）。"),
                field_id,
            )
            return None
        raw = data[operator]
        if operator == "is_answered":
            flag = self.boolean(f"{path}.is_answered", raw)
            return None if flag is None else Condition(operator, field_id, flag)
        if target.type in ("name", "address", "file", "repeated_group"):
            self.error(f"{path}.{operator}", _("この種類の項目の条件には is_answered だけが使えます。"))
            return None
        if operator == "in":
            values = self.array(f"{path}.in", raw, 1, MAX_IN_VALUES)
            if values is None:
                return None
            checked = [self.condition_value(f"{path}.in[{i}]", v, target) for i, v in enumerate(values)]
            if any(item is _INVALID for item in checked):
                return None
            return Condition(operator, field_id, tuple(checked))
        checked_value = self.condition_value(f"{path}.{operator}", raw, target)
        return None if checked_value is _INVALID else Condition(operator, field_id, checked_value)

    def condition_value(self, path: str, value: Any, target: FieldDef) -> Any:
        kind = target.type
        if kind in ("single_choice", "multiple_choice"):
            if not isinstance(value, str) or value not in target.option_values:
                self.error(path, _("「%(field)s」の選択肢にない値です。") % {"field": target.id}, value)
                return _INVALID
            return value
        if kind == "number":
            # Kept as the JSON number it was (the definition round-trips); compared as Decimal.
            return _INVALID if self.number(path, value) is None else value
        if kind == "consent":
            flag = self.boolean(path, value)
            return _INVALID if flag is None else flag
        if kind == "date":
            if not isinstance(value, str) or not _is_iso_date(value):
                self.error(path, _("日付は YYYY-MM-DD 形式で指定してください。"))
                return _INVALID
            return value
        text = self.plain_text(path, value, SHORT_TEXT_LIMIT)
        return _INVALID if text is None else text

    # -- fields ----------------------------------------------------------------------------------------

    def field_def(self, path: str, value: Any, known: Mapping[str, FieldDef], *, in_group: bool) -> FieldDef | None:
        data = self.obj(path, value)
        if data is None:
            return None
        self.field_count += 1
        kind = data.get("type")
        allowed_types = GROUP_MEMBER_TYPES if in_group else FIELD_TYPES
        if not isinstance(kind, str) or kind not in allowed_types:
            if in_group and kind in FIELD_TYPES:
                self.error(f"{path}.type", _("繰り返しグループの中には使えない種類です。"), kind)
            else:
                self.error(f"{path}.type", _("不明な項目の種類です。"), kind)
            return None
        common = ("id", "type", "label", "hint", "required")
        extra: tuple[str, ...] = {
            "short_text": ("max_length",),
            "long_text": ("max_length",),
            "number": ("min", "max", "decimal_places", "unit"),
            "date": ("min", "max"),
            "single_choice": ("options",),
            "multiple_choice": ("options", "min", "max"),
            "name": ("kana",),
            "address": (),
            "phone": (),
            "email": (),
            "file": ("max_size_mb", "kinds"),
            "repeated_group": ("fields", "min_items", "max_items", "item_label"),
            "consent": ("declaration",),
        }[kind]
        self.keys(path, data, (*common, "condition", "prefill", *extra), ("id", "type", "label"))
        if in_group:
            for key in ("condition", "prefill"):
                if key in data:
                    self.error(f"{path}.{key}", _("繰り返しグループの中の項目には指定できません。"))
        field_id = self.identifier(f"{path}.id", data.get("id")) if "id" in data else None
        label = self.text(f"{path}.label", data.get("label"), LABEL_LIMIT) if "label" in data else None
        hint = self.text(f"{path}.hint", data["hint"], HINT_LIMIT, multiline=True) if "hint" in data else None
        required = True
        if "required" in data:
            flag = self.boolean(f"{path}.required", data["required"])
            required = True if flag is None else flag
            if kind == "consent" and flag is False:
                self.error(f"{path}.required", _("同意欄は必須です（required を false にはできません）。"))
        condition = None
        if "condition" in data and not in_group:
            condition = self.condition(f"{path}.condition", data["condition"], known)
        prefill = self.prefill(f"{path}.prefill", data["prefill"], kind) if "prefill" in data and not in_group else ()
        attrs: dict[str, Any] = {}
        ok = getattr(self, f"_type_{kind}")(path, data, attrs, known)
        if field_id is None or label is None or not ok:
            return None
        return FieldDef(
            id=field_id,
            type=kind,
            label=label,
            required=required,
            hint=hint,
            condition=condition,
            prefill=prefill,
            **attrs,
        )

    def prefill(self, path: str, value: Any, kind: str) -> tuple[str, ...]:
        sources = value if isinstance(value, list) else [value]
        if not sources or len(sources) > 3:
            self.error(path, _("事前入力元は1つから3つまで指定してください。"))
            return ()
        result = []
        for index, source in enumerate(sources):
            where = f"{path}[{index}]" if isinstance(value, list) else path
            if not isinstance(source, str) or source not in PREFILL_SOURCES:
                self.error(where, _("不明な事前入力元です。"), source)
            elif kind not in PREFILL_SOURCES[source]:
                self.error(where, _("この種類の項目には使えない事前入力元です。"), source)
            else:
                result.append(source)
        return tuple(result)

    def _text_length(self, path: str, data: dict[str, Any], attrs: dict[str, Any], default: int, limit: int) -> bool:
        if "max_length" in data:
            value = self.integer(f"{path}.max_length", data["max_length"], 1, limit)
            if value is None:
                return False
            attrs["max_length"] = value
        else:
            attrs["max_length"] = default
        return True

    def _type_short_text(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        return self._text_length(path, data, attrs, SHORT_TEXT_DEFAULT, SHORT_TEXT_LIMIT)

    def _type_long_text(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        return self._text_length(path, data, attrs, LONG_TEXT_DEFAULT, LONG_TEXT_LIMIT)

    def _type_number(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        ok = True
        for key, attr in (("min", "min_value"), ("max", "max_value")):
            if key in data:
                number = self.number(f"{path}.{key}", data[key])
                ok = ok and number is not None
                attrs[attr] = number
        if "decimal_places" in data:
            places = self.integer(f"{path}.decimal_places", data["decimal_places"], 0, 6)
            ok = ok and places is not None
            attrs["decimal_places"] = places or 0
        for key, attr in (("min", "min_value"), ("max", "max_value")):
            bound = attrs.get(attr)
            if bound is not None and bound != round(bound, attrs.get("decimal_places", 0)):
                self.error(f"{path}.{key}", _("小数点以下の桁数（decimal_places）を超えています。"))
                ok = False
        low, high = attrs.get("min_value"), attrs.get("max_value")
        if low is not None and high is not None and low > high:
            self.error(f"{path}.min", _("min は max 以下にしてください。"))
            ok = False
        if "unit" in data:
            attrs["unit"] = self.text(f"{path}.unit", data["unit"], 20)
            ok = ok and attrs["unit"] is not None
        return ok

    def _type_date(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        ok = True
        for key, attr in (("min", "min_date"), ("max", "max_date")):
            if key in data:
                value = data[key]
                if value != "today" and not (isinstance(value, str) and _is_iso_date(value)):
                    self.error(f"{path}.{key}", _('日付の範囲は "today" か YYYY-MM-DD 形式で指定してください。'))
                    ok = False
                else:
                    attrs[attr] = value
        low, high = attrs.get("min_date"), attrs.get("max_date")
        low_date, high_date = resolve_date_bound(low), resolve_date_bound(high)
        if ok and low_date and high_date and low_date > high_date:
            self.error(f"{path}.min", _("min は max 以前の日付にしてください。"))
            ok = False
        return ok

    def options(self, path: str, data: dict[str, Any], attrs: dict[str, Any]) -> bool:
        if "options" not in data:
            self.error(f"{path}.options", _("選択肢の項目には options（選択肢）が必要です。"))
            return False
        items = self.array(f"{path}.options", data["options"], 1, MAX_OPTIONS)
        if items is None:
            return False
        options: list[Option] = []
        seen: set[str] = set()
        ok = True
        for index, item in enumerate(items):
            where = f"{path}.options[{index}]"
            option = self.obj(where, item)
            if option is None:
                ok = False
                continue
            self.keys(where, option, ("value", "label"), ("value", "label"))
            value = option.get("value")
            if not isinstance(value, str) or not OPTION_VALUE_PATTERN.fullmatch(value):
                self.error(f"{where}.value", _("選択肢の値は半角英数字と「_ . -」で64文字以内にしてください。"), value)
                ok = False
                continue
            if value in seen:
                self.error(f"{where}.value", _("同じ値の選択肢がすでにあります。"), value)
                ok = False
                continue
            seen.add(value)
            label = self.text(f"{where}.label", option.get("label"), LABEL_LIMIT) if "label" in option else None
            if label is None:
                ok = False
                continue
            options.append(Option(value, label))
        attrs["options"] = tuple(options)
        return ok

    def _type_single_choice(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        return self.options(path, data, attrs)

    def _type_multiple_choice(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        ok = self.options(path, data, attrs)
        count = len(attrs.get("options", ()))
        for key, attr in (("min", "min_choices"), ("max", "max_choices")):
            if key in data:
                value = self.integer(f"{path}.{key}", data[key], 0 if key == "min" else 1, max(count, 1))
                ok = ok and value is not None
                attrs[attr] = value
        if ok and (attrs.get("min_choices") or 0) > (attrs.get("max_choices") or count):
            self.error(f"{path}.min", _("min は max 以下にしてください。"))
            ok = False
        return ok

    def _type_name(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        if "kana" in data:
            flag = self.boolean(f"{path}.kana", data["kana"])
            if flag is None:
                return False
            attrs["kana"] = flag
        return True

    def _type_address(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        return True

    def _type_phone(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        return True

    def _type_email(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        return True

    def _type_file(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        ok = True
        size = Decimal(10)
        if "max_size_mb" in data:
            number = self.number(f"{path}.max_size_mb", data["max_size_mb"])
            if number is None or not 0 < number <= MAX_FILE_SIZE_MB:
                if number is not None:
                    self.error(
                        f"{path}.max_size_mb",
                        _("ファイルの上限は0より大きく%(max)sMB以下にしてください。") % {"max": MAX_FILE_SIZE_MB},
                    )
                ok = False
            else:
                size = number
        attrs["max_size_mb"] = size
        kinds: tuple[str, ...] = ("pdf", "image")
        if "kinds" in data:
            items = self.array(f"{path}.kinds", data["kinds"], 1, len(FILE_KINDS))
            if items is None:
                return False
            for index, kind in enumerate(items):
                if kind not in FILE_KINDS:
                    self.error(f"{path}.kinds[{index}]", _("不明なファイルの種類です。"), kind)
                    ok = False
            if len(set(map(str, items))) != len(items):
                self.error(f"{path}.kinds", _("同じ種類が重複しています。"))
                ok = False
            kinds = tuple(str(kind) for kind in items)
        attrs["kinds"] = kinds
        return ok

    def _type_repeated_group(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        ok = True
        if "fields" not in data:
            self.error(f"{path}.fields", _("繰り返しグループには fields（中の項目）が必要です。"))
            return False
        items = self.array(f"{path}.fields", data["fields"], 1, MAX_GROUP_FIELDS)
        if items is None:
            return False
        members: list[FieldDef] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            member = self.field_def(f"{path}.fields[{index}]", item, {}, in_group=True)
            if member is None:
                ok = False
                continue
            if member.id in seen:
                self.error(f"{path}.fields[{index}].id", _("IDが重複しています。"), member.id)
                ok = False
                continue
            seen.add(member.id)
            members.append(member)
        attrs["fields"] = tuple(members)
        if "max_items" not in data:
            self.error(f"{path}.max_items", _("繰り返しグループには max_items（最大件数）が必要です。"))
            ok = False
        else:
            maximum = self.integer(f"{path}.max_items", data["max_items"], 1, MAX_GROUP_ITEMS)
            ok = ok and maximum is not None
            attrs["max_items"] = maximum or 1
        minimum = 0
        if "min_items" in data:
            value = self.integer(f"{path}.min_items", data["min_items"], 0, MAX_GROUP_ITEMS)
            ok = ok and value is not None
            minimum = value or 0
        attrs["min_items"] = minimum
        if ok and minimum > attrs["max_items"]:
            self.error(f"{path}.min_items", _("min_items は max_items 以下にしてください。"))
            ok = False
        if "item_label" in data:
            attrs["item_label"] = self.text(f"{path}.item_label", data["item_label"], 40)
            ok = ok and attrs["item_label"] is not None
        return ok

    def _type_consent(self, path: str, data: dict[str, Any], attrs: dict[str, Any], known: Any) -> bool:
        if "declaration" not in data:
            self.error(f"{path}.declaration", _("同意欄には declaration（同意・宣誓の文言）が必要です。"))
            return False
        attrs["declaration"] = self.text(f"{path}.declaration", data["declaration"], DECLARATION_LIMIT, multiline=True)
        return attrs["declaration"] is not None

    # -- pages and fees --------------------------------------------------------------------------------

    def pages(self, path: str, value: Any) -> tuple[list[Page], dict[str, tuple[Page, FieldDef]]]:
        items = self.array(path, value, 1, MAX_PAGES)
        pages: list[Page] = []
        index_by_id: dict[str, tuple[Page, FieldDef]] = {}
        page_ids: set[str] = set()
        for page_index, item in enumerate(items or []):
            where = f"{path}[{page_index}]"
            data = self.obj(where, item)
            if data is None:
                continue
            self.keys(where, data, ("id", "title", "hint", "condition", "fields"), ("id", "title", "fields"))
            page_id = self.identifier(f"{where}.id", data.get("id")) if "id" in data else None
            if page_id is not None and page_id in page_ids:
                self.error(f"{where}.id", _("ページのIDが重複しています。"), page_id)
                page_id = None
            title = self.text(f"{where}.title", data.get("title"), LABEL_LIMIT) if "title" in data else None
            hint = self.text(f"{where}.hint", data["hint"], HINT_LIMIT, multiline=True) if "hint" in data else None
            # A page's condition looks only at earlier pages.
            condition = (
                self.condition(f"{where}.condition", data["condition"], dict(self.known))
                if "condition" in data
                else None
            )
            fields: list[FieldDef] = []
            raw_fields = (
                self.array(f"{where}.fields", data.get("fields"), 1, MAX_FIELDS_PER_PAGE) if "fields" in data else None
            )
            for field_index, raw in enumerate(raw_fields or []):
                field_path = f"{where}.fields[{field_index}]"
                member = self.field_def(field_path, raw, dict(self.known), in_group=False)
                if self.field_count > MAX_FIELDS_TOTAL:
                    self.error(field_path, _("項目が多すぎます（全体で%(max)s個まで）。") % {"max": MAX_FIELDS_TOTAL})
                    return pages, index_by_id
                if member is None:
                    continue
                if member.id in self.known:
                    self.error(f"{field_path}.id", _("IDが重複しています。"), member.id)
                    continue
                self.known[member.id] = member
                fields.append(member)
            if page_id is None or title is None or not fields or ("condition" in data and condition is None):
                continue
            if raw_fields is not None and len(fields) != len(raw_fields):
                continue
            page_ids.add(page_id)
            page = Page(id=page_id, title=title, fields=tuple(fields), hint=hint, condition=condition)
            pages.append(page)
            for member in fields:
                index_by_id[member.id] = (page, member)
        return pages, index_by_id

    def fee(self, path: str, value: Any) -> FeeRules | None:
        data = self.obj(path, value)
        if data is None:
            return None
        self.keys(path, data, ("items",), ("items",))
        items = self.array(f"{path}.items", data.get("items"), 1, MAX_FEE_ITEMS) if "items" in data else None
        if items is None:
            return None
        result: list[FeeItem] = []
        for index, raw in enumerate(items):
            where = f"{path}.items[{index}]"
            item = self.obj(where, raw)
            if item is None:
                continue
            self.keys(where, item, ("code", "quantity", "quantity_field", "label", "condition"), ("code",))
            code = item.get("code")
            if not isinstance(code, str) or not FEE_CODE_PATTERN.fullmatch(code):
                self.error(f"{where}.code", _("手数料コードは半角英数字と「_ -」で40文字以内にしてください。"))
                continue
            if self.fee_table is not None and code not in self.fee_table:
                self.error(f"{where}.code", _("手数料表にないコードです。"), code)
                continue
            quantity, quantity_field = 1, None
            if "quantity" in item and "quantity_field" in item:
                self.error(where, _("quantity と quantity_field は同時に指定できません。"))
                continue
            if "quantity" in item:
                fixed = self.integer(f"{where}.quantity", item["quantity"], 1, 100)
                if fixed is None:
                    continue
                quantity = fixed
            if "quantity_field" in item:
                quantity_field = item["quantity_field"]
                target = self.known.get(quantity_field) if isinstance(quantity_field, str) else None
                if target is None or not self._is_quantity_field(f"{where}.quantity_field", target):
                    if target is None:
                        self.error(f"{where}.quantity_field", _("数量の項目が見つかりません。"), quantity_field)
                    continue
            label = self.text(f"{where}.label", item["label"], LABEL_LIMIT) if "label" in item else None
            if "label" in item and label is None:
                continue
            condition = (
                self.condition(f"{where}.condition", item["condition"], self.known) if "condition" in item else None
            )
            if "condition" in item and condition is None:
                continue
            result.append(FeeItem(code, quantity, quantity_field, label, condition))
        if len(result) != len(items):
            return None
        return FeeRules(tuple(result))

    def _is_quantity_field(self, path: str, target: FieldDef) -> bool:
        if target.type == "repeated_group":
            return True
        if target.type != "number" or target.decimal_places:
            self.error(path, _("数量には整数の数値項目か繰り返しグループを指定してください。"))
            return False
        if target.max_value is None or target.max_value > MAX_FEE_QUANTITY:
            self.error(
                path,
                _("手数料の数量に使う数値項目には上限（max、%(limit)s以下）を設定してください。")
                % {"limit": MAX_FEE_QUANTITY},
            )
            return False
        if target.min_value is None or target.min_value < 0:
            self.error(path, _("手数料の数量に使う数値項目には0以上の下限（min）を設定してください。"))
            return False
        return True


class _Invalid:
    pass


_INVALID = _Invalid()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_control(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\r\t":
        return False
    return unicodedata.category(ch) == "Cc"


def _is_iso_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# Valid definitions, by the SHA-256 of their canonical JSON: a request reads the same form version several
# times (pages, validation, fee, summary), and reading a 20-field definition costs milliseconds. The result is
# frozen, so sharing it between requests and threads is safe; failures are never cached.
_VALID_CACHE: OrderedDict[bytes, FormDefinition] = OrderedDict()
_VALID_CACHE_SIZE = 256
_VALID_CACHE_LOCK = threading.Lock()


def validate_definition(data: Any, *, fee_table: Mapping[str, Any] | None = None) -> FormDefinition:
    """Check untrusted definition JSON (already parsed) and return it as frozen dataclasses.

    Raises DefinitionError listing every problem found, each with its location. When `fee_table` (the
    municipality's fee codes) is given, fee rules naming a code outside it are refused too.
    """
    if fee_table is not None:
        return _validate_definition(data, fee_table=fee_table)
    try:
        key = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).digest()
    except (TypeError, ValueError, RecursionError):  # not plain JSON data: the reader says what is wrong
        return _validate_definition(data, fee_table=None)
    with _VALID_CACHE_LOCK:
        cached = _VALID_CACHE.get(key)
        if cached is not None:
            _VALID_CACHE.move_to_end(key)
            return cached
    definition = _validate_definition(data, fee_table=None)
    with _VALID_CACHE_LOCK:
        _VALID_CACHE[key] = definition
        while len(_VALID_CACHE) > _VALID_CACHE_SIZE:
            _VALID_CACHE.popitem(last=False)
    return definition


def _validate_definition(data: Any, *, fee_table: Mapping[str, Any] | None) -> FormDefinition:
    reader = _Reader(fee_table)
    root = reader.obj("$", data)
    if root is None:
        raise DefinitionError(reader.issues)
    reader.keys("$", root, ("schema", "pages", "fee"), ("schema", "pages"))
    if "schema" in root:
        schema = root["schema"]
        if isinstance(schema, bool) or schema != SCHEMA_VERSION:
            reader.error(
                "$.schema",
                _("対応していないスキーマのバージョンです（%(version)s のみ対応）。") % {"version": SCHEMA_VERSION},
            )
    pages, index = reader.pages("$.pages", root.get("pages")) if "pages" in root else ([], {})
    fee = reader.fee("$.fee", root["fee"]) if "fee" in root else None
    if reader.issues:
        raise DefinitionError(reader.issues)
    return FormDefinition(schema=SCHEMA_VERSION, pages=tuple(pages), fee=fee, _field_index=index)
