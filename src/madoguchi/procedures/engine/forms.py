"""One page of a form definition as a Django form, for the resident journey (one question group per page).

Field names follow the definition's ids: a simple field is `<id>`; a 氏名 or 住所 expands into
`<id>__family_name`, `<id>__postal_code`, …; a repeated group into `<group>__<n>__<member>` (and
`<group>__<n>__<member>__<part>` for a 氏名 inside a group), with a hidden `<group>__items` holding the
number of items on screen.

Without JavaScript, buttons named `_action` change the page instead of submitting it:
`add:<group>` adds an item, `remove:<group>:<n>` removes item n, `lookup:<address>` fills 都道府県・市区町村・
町字 from the postcode. The form then comes back bound to the changed data with no validation errors (only an
error about the action itself, e.g. an unknown postcode); `is_valid()` is False so the view simply shows the
page again. See docs/form-definition.md.

Required fields are checked after conditions are applied (a field hidden by an answer on the same page is
not required), so Django's own required check is switched off and replaced by specific messages.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import ErrorDict
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from madoguchi.core.dates import to_wareki
from madoguchi.core.forms import JapaneseDateField, KatakanaField, PhoneNumberField, PostalCodeField
from madoguchi.core.validators import normalize_postal_code

from .conditions import effective_answers, evaluate, is_answered
from .definition import (
    ADDRESS_PARTS,
    MAX_GROUP_ITEMS,
    Condition,
    FieldDef,
    FormDefinition,
    Page,
    active_language,
    resolve_date_bound,
)
from .postcodes import PREFECTURES, lookup_postcode

ACTION_KEY = "_action"
SEPARATOR = "__"
ITEMS_SUFFIX = "items"
# A file field's hidden companion: the ref of the file shown as kept, so that the kept file stays with its
# item when items of a repeated group are removed or move up (the browser never posts a kept file again).
CURRENT_SUFFIX = "current"
RADIO_LIMIT = 10  # more options than this: a select box

# ---------------------------------------------------------------------------------------------------------
# Messages (Japanese source; English through the catalog)

MSG_ENTER = _("%(label)sを入力してください。")
MSG_SELECT = _("%(label)sを選択してください。")
MSG_FILE_REQUIRED = _("%(label)sのファイルを選択してください。")
MSG_CONSENT = _("内容を確認し、同意する場合はチェックを入れてください。")
MSG_TOO_LONG = _("%(label)sは%(max)s文字以内で入力してください（現在%(length)s文字）。")
MSG_CONTROL = _("使用できない文字（制御文字）が含まれています。")
MSG_UNENCODABLE = _("使用できない文字が含まれています。")
MSG_NUMBER = _("%(label)sは数字で入力してください（例：3）。")
MSG_INTEGER = _("%(label)sは整数で入力してください。")
MSG_DECIMALS = _("%(label)sは小数点以下%(places)s桁までで入力してください。")
MSG_NUMBER_RANGE = _("%(label)sは%(min)sから%(max)sまでの数を入力してください。")
MSG_NUMBER_MIN = _("%(label)sは%(min)s以上の数を入力してください。")
MSG_NUMBER_MAX = _("%(label)sは%(max)s以下の数を入力してください。")
MSG_NUMBER_TOO_BIG = _("%(label)sの数が大きすぎます。")
MSG_CHOICE = _("%(label)sは選択肢の中から選んでください。")
MSG_CHOICES_MIN = _("%(label)sは%(min)s個以上選んでください。")
MSG_CHOICES_MAX = _("%(label)sは%(max)s個まで選んでください。")
MSG_EMAIL = _("メールアドレスの形式が正しくありません（例：taro@example.jp）。")
MSG_KANA = _("%(label)sはカタカナで入力してください。")
MSG_POSTAL = _("郵便番号は7桁の数字で入力してください（例：939-1692）。")
MSG_POSTAL_UNKNOWN = _(
    "この郵便番号の住所が見つかりませんでした。郵便番号をご確認いただくか、都道府県と市区町村を入力してください。"
)
MSG_POSTAL_PREFECTURE = _("郵便番号%(code)sは%(prefecture)sの番号です。郵便番号か都道府県をご確認ください。")
MSG_FILE_INVALID = _("ファイルの情報が正しくありません。もう一度ファイルを選択してください。")
MSG_FILE_EMPTY = _("ファイルが空です。内容のあるファイルを選択してください。")
MSG_FILE_TOO_BIG = _("%(label)sのファイルは%(max)sMB以下にしてください。")
MSG_FILE_TYPE = _("%(label)sは次の形式のファイルを選択してください：%(kinds)s")
MSG_GROUP_MIN = _("%(label)sを%(min)s件以上入力してください。")
MSG_GROUP_MAX = _("%(label)sは%(max)s件まで入力できます。")
MSG_GROUP_FULL = _("%(label)sはこれ以上追加できません（%(max)s件まで）。")

PART_LABELS = {
    "family_name": _("姓"),
    "given_name": _("名"),
    "family_name_kana": _("セイ（フリガナ）"),
    "given_name_kana": _("メイ（フリガナ）"),
    "postal_code": _("郵便番号"),
    "prefecture": _("都道府県"),
    "city": _("市区町村"),
    "town": _("町字"),
    "street": _("番地以下"),
    "building": _("建物名等（方書）"),
}
KANA_NAMES = {"family_name_kana": _("セイ"), "given_name_kana": _("メイ")}
PART_HINTS = {
    "family_name_kana": _("カタカナ（例：ヤマダ）"),
    "given_name_kana": _("カタカナ（例：ハナコ）"),
    "postal_code": _("7桁（例：939-1692）。入力すると都道府県・市区町村を自動で入力できます。"),
    "street": _("例：1-2-3、1234番地"),
}
PART_AUTOCOMPLETE = {
    "family_name": "family-name",
    "given_name": "given-name",
    "postal_code": "postal-code",
    "prefecture": "address-level1",
    "city": "address-level2",
    "town": "address-line1",
    "street": "address-line2",
    "building": "address-line3",
}
NAME_LIMITS = {"family_name": 50, "given_name": 50, "family_name_kana": 100, "given_name_kana": 100}
ADDRESS_LIMITS = {"city": 50, "town": 100, "street": 100, "building": 100}
ADDRESS_REQUIRED = ("postal_code", "prefecture", "city", "street")
FILE_KIND_LABELS = {
    "pdf": _("PDF"),
    "image": _("画像（JPEG・PNG・WebP）"),
    "office": _("Word・Excel"),
}
FILE_KIND_EXTENSIONS = {
    "pdf": ".pdf",
    "image": ".jpg,.jpeg,.png,.webp",
    "office": ".docx,.xlsx",
}
FILE_METADATA_KEYS = ("name", "size", "content_type", "ref", "sha256")


def message_label(label: str, language: str) -> str:
    """'Phone number' reads 'Enter phone number' inside an English sentence; 'PIN' stays as it is."""
    if active_language(language) == "en" and len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def check_text(value: str, *, multiline: bool) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(MSG_UNENCODABLE, code="unencodable") from exc
    for ch in value:
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in "\n\r\t"):
            raise ValidationError(MSG_CONTROL, code="control_character")


# ---------------------------------------------------------------------------------------------------------
# Field classes. Each keeps `required` for display (the 必須 badge, aria-required) but leaves the check to
# PageForm.clean, which knows whether the field is shown.


class _DeferredRequired:
    required: bool

    def validate(self, value: Any) -> None:
        shown_required, self.required = self.required, False
        try:
            super().validate(value)  # type: ignore[misc]
        finally:
            self.required = shown_required


class TextAnswerField(_DeferredRequired, forms.CharField):
    def __init__(self, *, max_length: int, multiline: bool = False, message_name: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.answer_max_length = max_length
        self.multiline = multiline
        self.message_name = message_name

    def to_python(self, value: Any) -> str:
        if value is not None and not isinstance(value, str):
            raise ValidationError(MSG_UNENCODABLE, code="invalid")
        text = super().to_python(value) or ""
        if self.multiline:
            text = text.replace("\r\n", "\n")
        check_text(text, multiline=self.multiline)
        if len(text) > self.answer_max_length:
            raise ValidationError(
                MSG_TOO_LONG % {"label": self.message_name, "max": self.answer_max_length, "length": len(text)},
                code="max_length",
            )
        return text


class NumberAnswerField(_DeferredRequired, forms.CharField):
    """Numbers as residents type them: full-width digits and thousands separators are fine."""

    def __init__(self, *, member: FieldDef, message_name: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.member = member
        self.message_name = message_name
        self.widget.attrs.update({"inputmode": "decimal" if member.decimal_places else "numeric"})

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, bool) or (value is not None and not isinstance(value, str)):
            raise ValidationError(MSG_NUMBER % {"label": self.message_name}, code="invalid")
        text = super().to_python(value) or ""
        if not text:
            return None
        check_text(text, multiline=False)
        text = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "").replace("−", "-")
        digits = len(re.sub(r"\D", "", text))
        if digits > 16:
            raise ValidationError(MSG_NUMBER_TOO_BIG % {"label": self.message_name}, code="too_big")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise ValidationError(MSG_NUMBER % {"label": self.message_name}, code="invalid")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only decimals
            raise ValidationError(MSG_NUMBER % {"label": self.message_name}, code="invalid") from exc
        places = self.member.decimal_places
        if number != round(number, places):
            if places == 0:
                raise ValidationError(MSG_INTEGER % {"label": self.message_name}, code="integer")
            raise ValidationError(MSG_DECIMALS % {"label": self.message_name, "places": places}, code="decimals")
        low, high = self.member.min_value, self.member.max_value
        params = {"label": self.message_name, "min": _plain(low), "max": _plain(high)}
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                raise ValidationError(MSG_NUMBER_RANGE % params, code="range")
            raise ValidationError((MSG_NUMBER_MIN if low is not None else MSG_NUMBER_MAX) % params, code="range")
        return number


def _plain(number: Decimal | None) -> str:
    if number is None:
        return ""
    return f"{number:,f}" if number != number.to_integral_value() else f"{int(number):,}"


class DateAnswerField(_DeferredRequired, JapaneseDateField):
    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        if value is not None and not isinstance(value, str):
            raise ValidationError(MSG_UNENCODABLE, code="invalid")
        if value:
            check_text(value, multiline=False)
        return super().to_python(value)


class ChoiceAnswerField(_DeferredRequired, forms.ChoiceField):
    pass


class MultipleChoiceAnswerField(_DeferredRequired, forms.MultipleChoiceField):
    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple) and len(value) > len(self.widget.choices):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": ""})
        if isinstance(value, list | tuple) and any(not isinstance(item, str) for item in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": ""})
        return super().to_python(value)


class EmailAnswerField(_DeferredRequired, forms.EmailField):
    def to_python(self, value: Any) -> str:
        if value is not None and not isinstance(value, str):
            raise ValidationError(MSG_EMAIL, code="invalid")
        text = super().to_python(value) or ""
        check_text(text, multiline=False)
        return text


class PhoneAnswerField(_DeferredRequired, PhoneNumberField):
    def to_python(self, value: Any) -> str:
        if value is not None and not isinstance(value, str):
            raise ValidationError(MSG_UNENCODABLE, code="invalid")
        text = super().to_python(value) or ""
        check_text(text, multiline=False)
        return text


class PostalAnswerField(_DeferredRequired, PostalCodeField):
    def to_python(self, value: Any) -> str:
        if value is not None and not isinstance(value, str):
            raise ValidationError(MSG_POSTAL, code="invalid")
        text = super().to_python(value) or ""
        check_text(text, multiline=False)
        return text


class KanaAnswerField(_DeferredRequired, KatakanaField):
    """KatakanaField with the part named in its message (「セイはカタカナで入力してください。」)."""

    def __init__(self, *, kana_message: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.kana_message = kana_message

    def to_python(self, value: Any) -> str:
        if value is not None and not isinstance(value, str):
            raise ValidationError(self.kana_message, code="katakana")
        text = super().to_python(value) or ""
        check_text(text, multiline=False)
        return text

    def clean(self, value: Any) -> str:
        try:
            return super().clean(value)
        except ValidationError as error:
            if getattr(error, "code", None) == "katakana":
                raise ValidationError(self.kana_message, code="katakana") from error
            raise


class ConsentAnswerField(_DeferredRequired, forms.BooleanField):
    pass


class FileAnswerField(_DeferredRequired, forms.FileField):
    """Declares an upload and checks its metadata {"name", "size", "content_type"[, "ref", "sha256"]}.

    Storing the file and checking its content are the upload handling's job; it should replace the browser's
    content_type with the sniffed one and add a storage "ref". When nothing new is uploaded, the metadata
    from earlier (the form's initial) stands.
    """

    def __init__(self, *, member: FieldDef, message_name: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.member = member
        self.message_name = message_name
        accept = ",".join(
            [*member.content_types, *(ext for kind in member.kinds for ext in FILE_KIND_EXTENSIONS[kind].split(","))]
        )
        self.widget.attrs.update({"accept": accept})

    def clean(self, data: Any, initial: Any = None) -> dict[str, Any] | None:
        value = data if data not in (None, "", False) else initial
        if value in (None, "", False):
            return None
        if isinstance(value, UploadedFile):
            value = {"name": value.name or "", "size": value.size, "content_type": value.content_type or ""}
        return self.check_metadata(value)

    def check_metadata(self, value: Any) -> dict[str, Any]:
        invalid = ValidationError(MSG_FILE_INVALID, code="invalid")
        if not isinstance(value, dict) or any(key not in FILE_METADATA_KEYS for key in value):
            raise invalid
        name, size, content_type = value.get("name"), value.get("size"), value.get("content_type")
        if not isinstance(name, str) or not name.strip() or len(name) > 255 or "/" in name or "\\" in name:
            raise invalid
        check_text(name, multiline=False)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise invalid
        if size == 0:
            raise ValidationError(MSG_FILE_EMPTY, code="empty")
        if size > self.member.max_bytes:
            raise ValidationError(
                MSG_FILE_TOO_BIG % {"label": self.message_name, "max": _plain(self.member.max_size_mb)},
                code="too_big",
            )
        if (
            not isinstance(content_type, str)
            or content_type.split(";")[0].strip().lower() not in self.member.content_types
        ):
            kinds = "、".join(str(FILE_KIND_LABELS[kind]) for kind in self.member.kinds)
            raise ValidationError(MSG_FILE_TYPE % {"label": self.message_name, "kinds": kinds}, code="content_type")
        result: dict[str, Any] = {
            "name": name,
            "size": size,
            "content_type": content_type.split(";")[0].strip().lower(),
        }
        for key in ("ref", "sha256"):
            if key in value:
                extra = value[key]
                if not isinstance(extra, str) or not extra or len(extra) > 200:
                    raise invalid
                check_text(extra, multiline=False)
                result[key] = extra
        return result

    def has_changed(self, initial: Any, data: Any) -> bool:
        return data not in (None, "", False)


# ---------------------------------------------------------------------------------------------------------
# Actions (no-JavaScript page changes)


@dataclass(frozen=True)
class PageAction:
    kind: str  # add | remove | lookup
    target: str  # a group id, or an address's form name
    index: int | None = None

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.target}" + (f":{self.index}" if self.index is not None else "")


_ACTION = re.compile(r"^(?:(add):([a-z0-9_]{1,40})|(remove):([a-z0-9_]{1,40}):(\d{1,3})|(lookup):([a-z0-9_]{1,120}))$")


def parse_action(value: Any) -> PageAction | None:
    if not isinstance(value, str):
        return None
    match = _ACTION.fullmatch(value)
    if not match:
        return None
    if match.group(1):
        return PageAction("add", match.group(2))
    if match.group(3):
        return PageAction("remove", match.group(4), int(match.group(5)))
    return PageAction("lookup", match.group(7))


# ---------------------------------------------------------------------------------------------------------
# Rendering structure


@dataclass
class GroupItem:
    index: int
    legend: str
    sections: list[Section]
    remove_action: str


@dataclass
class Section:
    """One question on the page, ready for a template: a single field, a fieldset of parts, or a group."""

    kind: str  # "field" | "fieldset" | "group"
    field_id: str
    name: str
    legend: str = ""
    hint: str = ""
    required: bool = False
    field: Any = None  # BoundField for kind == "field"
    fields: list[Any] = dataclass_field(default_factory=list)  # BoundFields of a fieldset
    lookup_action: str = ""
    postal_name: str = ""
    current_file: str = ""
    current_field: Any = None  # the hidden ref of the kept file
    items: list[GroupItem] = dataclass_field(default_factory=list)
    count_field: Any = None
    add_action: str = ""
    item_noun: str = ""
    can_add: bool = False
    errors: list[str] = dataclass_field(default_factory=list)
    condition_json: str = ""
    condition_text: str = ""


_TEMPLATE_PATH = Path(__file__).parent / "templates" / "page_form.html"
_template_cache: dict[int, Any] = {}


def _template() -> Any:
    from django.template import engines

    engine = engines["django"]
    key = id(engine)
    if key not in _template_cache:
        _template_cache.clear()
        _template_cache[key] = engine.from_string(_TEMPLATE_PATH.read_text(encoding="utf-8"))
    return _template_cache[key]


# ---------------------------------------------------------------------------------------------------------
# The page form


class PageForm(forms.Form):
    use_required_attribute = False  # the browser's own required check would fire on conditional fields

    def __init__(
        self,
        definition: FormDefinition,
        page: Page,
        *,
        data: Any = None,
        files: Any = None,
        initial: Mapping[str, Any] | None = None,
        answers: Mapping[str, Any] | None = None,
        language: str | None = None,
        only: Collection[str] | None = None,
    ):
        self.definition = definition
        self.page = page
        self.language = active_language(language)
        # `only` (a correction): just these questions of the page are asked; the page's other answers stay as
        # stored and decide conditions like answers of other pages do.
        page_ids = {member.id for member in page.fields if only is None or member.id in only}
        source = answers if answers is not None else (initial or {})
        # Answers from other pages decide this page's conditions; this page's own answers never do.
        self.context_answers = {
            key: value for key, value in effective_answers(definition, source).items() if key not in page_ids
        }
        self.action: PageAction | None = None
        self.action_errors: dict[str | None, list[str]] = {}
        self.group_errors: dict[str, list[str]] = {}
        self._answers: dict[str, Any] | None = None
        self._names: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}
        self._overflow: set[str] = set()
        self.members = [
            member
            for member in page.fields
            if member.id in page_ids
            and (self._depends_on_page(member.condition, page_ids) or evaluate(member.condition, self.context_answers))
        ]
        # Bound data is copied into mutable stores: actions and the postcode lookup change what is shown again.
        self.mdata: MultiValueDict[str, Any] = _mutable(data) if data is not None else MultiValueDict()
        self.mfiles: MultiValueDict[str, Any] = _mutable(files) if files is not None else MultiValueDict()
        if data is not None:
            data, files = self.mdata, self.mfiles
        with translation.override(self.language):
            super().__init__(data=data, files=files, initial=self._initial(initial or {}))
            if self.is_bound:
                self._read_counts()
                self.action = self._apply_action(parse_action(self.mdata.get(ACTION_KEY)))
            else:
                self._initial_counts(initial or {})
            for member in self.members:
                self._names[member.id] = self._build(member, prefix="", suffix="", in_group=False)
            if self.is_bound:
                self._kept_files_from_post(initial or {})

    # -- structure -------------------------------------------------------------------------------------

    @staticmethod
    def _depends_on_page(condition: Condition | None, page_ids: set[str]) -> bool:
        return condition is not None and any(ref in page_ids for ref in condition.referenced_fields())

    def _label(self, member: FieldDef, suffix: str) -> str:
        label = member.label.get(self.language)
        return (
            f"{label}（{suffix}）" if suffix and self.language == "ja" else f"{label} ({suffix})" if suffix else label
        )

    def _item_legend(self, group: FieldDef, index: int) -> str:
        base = (group.item_label or group.label).get(self.language)
        return f"{base} {index + 1}"

    def _add(self, name: str, form_field: forms.Field) -> str:
        self.fields[name] = form_field
        return name

    def _build(self, member: FieldDef, *, prefix: str, suffix: str, in_group: bool) -> list[str]:
        name = prefix + member.id
        label = self._label(member, suffix)
        said = message_label(label, self.language)
        hint = member.hint.get(self.language) if member.hint else ""
        kind = member.type
        common: dict[str, Any] = {"label": label, "required": member.required, "help_text": hint}
        if kind in ("short_text", "long_text"):
            text_widget: forms.Widget = forms.Textarea(attrs={"rows": 5}) if kind == "long_text" else forms.TextInput()
            return [
                self._add(
                    name,
                    TextAnswerField(
                        max_length=member.max_length or 200,
                        multiline=kind == "long_text",
                        message_name=said,
                        widget=text_widget,
                        **common,
                    ),
                )
            ]
        if kind == "number":
            return [self._add(name, NumberAnswerField(member=member, message_name=said, **common))]
        if kind == "date":
            today = timezone.localdate()
            date_field = DateAnswerField(
                min_date=resolve_date_bound(member.min_date, today),
                max_date=resolve_date_bound(member.max_date, today),
                **{**common, "help_text": hint or JapaneseDateField().help_text},
            )
            return [self._add(name, date_field)]
        if kind == "single_choice":
            choices: list[tuple[str, Any]] = [(o.value, o.label.get(self.language)) for o in member.options]
            choice_widget: forms.Widget
            if len(choices) > RADIO_LIMIT:
                choices = [("", _("選択してください")), *choices]
                choice_widget = forms.Select()
            else:
                choice_widget = forms.RadioSelect()
            choice = ChoiceAnswerField(
                choices=choices,
                widget=choice_widget,
                error_messages={"invalid_choice": MSG_CHOICE % {"label": said}},
                **common,
            )
            return [self._add(name, choice)]
        if kind == "multiple_choice":
            choices = [(option.value, option.label.get(self.language)) for option in member.options]
            multiple = MultipleChoiceAnswerField(
                choices=choices,
                widget=forms.CheckboxSelectMultiple(),
                error_messages={
                    "invalid_choice": MSG_CHOICE % {"label": said},
                    "invalid_list": MSG_CHOICE % {"label": said},
                },
                **common,
            )
            return [self._add(name, multiple)]
        if kind == "phone":
            phone = PhoneAnswerField(
                error_messages={"max_length": MSG_TOO_LONG % {"label": said, "max": 20, "length": "%(show_value)d"}},
                **common,
            )
            if in_group:
                phone.widget.attrs["autocomplete"] = "off"
            return [self._add(name, phone)]
        if kind == "email":
            email = EmailAnswerField(
                max_length=254,
                error_messages={"invalid": MSG_EMAIL, "max_length": MSG_EMAIL},
                widget=forms.EmailInput(attrs={"autocomplete": "off" if in_group else "email", "spellcheck": "false"}),
                **common,
            )
            return [self._add(name, email)]
        if kind == "file":
            current = forms.CharField(widget=forms.HiddenInput(), required=False, max_length=200)
            return [
                self._add(name, FileAnswerField(member=member, message_name=said, **common)),
                self._add(f"{name}{SEPARATOR}{CURRENT_SUFFIX}", current),
            ]
        if kind == "consent":
            consent_hint = member.declaration.get(self.language) if member.declaration else hint
            return [self._add(name, ConsentAnswerField(**{**common, "help_text": consent_hint}))]
        if kind == "name":
            return self._build_name(member, name, suffix, in_group)
        if kind == "address":
            return self._build_address(member, name, suffix, in_group)
        if kind == "repeated_group":
            return self._build_group(member, name)
        raise ValueError(kind)  # pragma: no cover - validate_definition admits only the types above

    def _part_label(self, part: str, suffix: str) -> str:
        label = str(PART_LABELS[part])
        if not suffix:
            return label
        return f"{label}（{suffix}）" if self.language == "ja" else f"{label} ({suffix})"

    def _build_name(self, member: FieldDef, name: str, suffix: str, in_group: bool) -> list[str]:
        names = []
        parts = (
            ("family_name", "given_name", "family_name_kana", "given_name_kana")
            if member.kana
            else ("family_name", "given_name")
        )
        for part in parts:
            label = self._part_label(part, suffix)
            said = message_label(label, self.language)
            common: dict[str, Any] = {
                "label": label,
                "required": member.required,
                "help_text": PART_HINTS.get(part, ""),
            }
            limit = NAME_LIMITS[part]
            if part.endswith("_kana"):
                kana_name = str(KANA_NAMES[part])
                form_field: forms.Field = KanaAnswerField(
                    kana_message=MSG_KANA % {"label": message_label(kana_name, self.language)},
                    max_length=limit,
                    error_messages={
                        "max_length": MSG_TOO_LONG % {"label": said, "max": limit, "length": "%(show_value)d"}
                    },
                    **common,
                )
            else:
                form_field = TextAnswerField(max_length=limit, message_name=said, **common)
            form_field.widget.attrs["autocomplete"] = (
                "off" if in_group or part.endswith("_kana") else PART_AUTOCOMPLETE[part]
            )
            names.append(self._add(f"{name}{SEPARATOR}{part}", form_field))
        return names

    def _build_address(self, member: FieldDef, name: str, suffix: str, in_group: bool) -> list[str]:
        names = []
        for part in ADDRESS_PARTS:
            label = self._part_label(part, suffix)
            said = message_label(label, self.language)
            required = member.required and part in ADDRESS_REQUIRED
            common: dict[str, Any] = {"label": label, "required": required, "help_text": PART_HINTS.get(part, "")}
            form_field: forms.Field
            if part == "postal_code":
                form_field = PostalAnswerField(error_messages={"max_length": MSG_POSTAL}, **common)
            elif part == "prefecture":
                choices = [("", str(_("選択してください")))]
                choices += [(ja, ja if self.language == "ja" else f"{en} ({ja})") for ja, en in PREFECTURES]
                form_field = ChoiceAnswerField(
                    choices=choices,
                    widget=forms.Select(),
                    error_messages={"invalid_choice": MSG_CHOICE % {"label": said}},
                    **common,
                )
            else:
                form_field = TextAnswerField(max_length=ADDRESS_LIMITS[part], message_name=said, **common)
            form_field.widget.attrs["autocomplete"] = "off" if in_group else PART_AUTOCOMPLETE[part]
            names.append(self._add(f"{name}{SEPARATOR}{part}", form_field))
        return names

    def _build_group(self, group: FieldDef, name: str) -> list[str]:
        count_name = f"{name}{SEPARATOR}{ITEMS_SUFFIX}"
        count = self._counts[group.id]
        names = [
            self._add(
                count_name,
                forms.IntegerField(widget=forms.HiddenInput(), required=False, initial=count, min_value=0),
            )
        ]
        for index in range(count):
            legend = self._item_legend(group, index)
            for member in group.fields:
                names += self._build(
                    member, prefix=f"{name}{SEPARATOR}{index}{SEPARATOR}", suffix=legend, in_group=True
                )
        return names

    def _kept_files_from_post(self, initial: Mapping[str, Any]) -> None:
        """The kept file of each file field is the one its posted hidden ref names (a file of these answers;
        anything else is none), so it follows its item; without the hidden ref (API) the initial stands."""
        known: dict[str, Any] = {}
        for member in self.page.fields:
            value = initial.get(member.id)
            values = [value] if member.type == "file" else []
            if member.type == "repeated_group" and isinstance(value, list):
                values = [item.get(sub.id) for item in value if isinstance(item, dict) for sub in member.fields]
            for candidate in values:
                if isinstance(candidate, dict) and isinstance(candidate.get("ref"), str):
                    known[candidate["ref"]] = candidate
        for name, form_field in self.fields.items():
            current = f"{name}{SEPARATOR}{CURRENT_SUFFIX}"
            if isinstance(form_field, FileAnswerField) and current in self.mdata:
                ref = self.mdata.get(current)
                self.initial[name] = known.get(ref) if isinstance(ref, str) else None
                self.initial[current] = ref if ref in known else ""
                self.mdata[current] = self.initial[current]

    # -- groups and actions ----------------------------------------------------------------------------

    def _groups(self) -> dict[str, FieldDef]:
        return {member.id: member for member in self.members if member.type == "repeated_group"}

    def _initial_counts(self, initial: Mapping[str, Any]) -> None:
        for group_id, group in self._groups().items():
            items = initial.get(group_id)
            count = len(items) if isinstance(items, list) else 0
            self._counts[group_id] = min(max(count, group.effective_min_items, 1), group.max_items)

    def _read_counts(self) -> None:
        for group_id, group in self._groups().items():
            raw = self.mdata.get(f"{group_id}{SEPARATOR}{ITEMS_SUFFIX}")
            count: int | None = None
            if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 4:
                count = int(raw)
            if count is None:  # no hidden count (an API client, a hand-made POST): count the items sent
                pattern = re.compile(rf"^{group_id}{SEPARATOR}(\d{{1,4}}){SEPARATOR}")
                indexes = [int(m.group(1)) for key in list(self.mdata) + list(self.mfiles) if (m := pattern.match(key))]
                count = max(indexes) + 1 if indexes else 0
            if count > group.max_items:
                self._overflow.add(group_id)
                count = group.max_items
            self._counts[group_id] = min(count, MAX_GROUP_ITEMS)
            self.mdata[f"{group_id}{SEPARATOR}{ITEMS_SUFFIX}"] = str(self._counts[group_id])

    def _apply_action(self, action: PageAction | None) -> PageAction | None:
        if action is None:
            return None
        groups = self._groups()
        if action.kind in ("add", "remove"):
            group = groups.get(action.target)
            if group is None:
                return None
            count = self._counts[group.id]
            if action.kind == "add":
                if count >= group.max_items:
                    label = group.label.get(self.language)
                    self.action_errors.setdefault(None, []).append(
                        str(MSG_GROUP_FULL % {"label": label, "max": group.max_items})
                    )
                else:
                    self._counts[group.id] = count + 1
            else:
                if action.index is None or action.index >= count:
                    return None
                self._remove_item(group.id, action.index, count)
                self._counts[group.id] = count - 1
            self.mdata[f"{group.id}{SEPARATOR}{ITEMS_SUFFIX}"] = str(self._counts[group.id])
            return action
        if action.kind == "lookup":
            if not self._is_address_name(action.target):
                return None
            self._lookup(action.target)
            return action
        return None

    def _is_address_name(self, name: str) -> bool:
        parts = name.split(SEPARATOR)
        member = next((m for m in self.members if m.id == parts[0]), None)
        if member is None:
            return False
        if len(parts) == 1:
            return member.type == "address"
        if len(parts) == 3 and member.type == "repeated_group" and parts[1].isdigit():
            sub = member.member(parts[2])
            return sub is not None and sub.type == "address" and int(parts[1]) < self._counts[member.id]
        return False

    def _remove_item(self, group_id: str, index: int, count: int) -> None:
        for store in (self.mdata, self.mfiles):
            moved: dict[str, list[Any]] = {}
            pattern = re.compile(rf"^{group_id}{SEPARATOR}(\d{{1,4}}){SEPARATOR}(.+)$")
            for key in list(store):
                match = pattern.match(key)
                if not match:
                    continue
                values = store.getlist(key)
                del store[key]
                position = int(match.group(1))
                if position == index or position >= count:
                    continue
                new_position = position - 1 if position > index else position
                moved[f"{group_id}{SEPARATOR}{new_position}{SEPARATOR}{match.group(2)}"] = values
            for key, values in moved.items():
                store.setlist(key, values)

    def _lookup(self, name: str) -> None:
        postal_name = f"{name}{SEPARATOR}postal_code"
        raw = self.mdata.get(postal_name, "")
        try:
            digits = normalize_postal_code(raw if isinstance(raw, str) else "")
        except ValidationError:
            self.action_errors.setdefault(postal_name, []).append(str(MSG_POSTAL))
            return
        found = lookup_postcode(digits)
        if found is None:
            self.action_errors.setdefault(postal_name, []).append(str(MSG_POSTAL_UNKNOWN))
            return
        self.mdata[postal_name] = f"{digits[:3]}-{digits[3:]}"
        self.mdata[f"{name}{SEPARATOR}prefecture"] = found.prefecture
        self.mdata[f"{name}{SEPARATOR}city"] = found.city
        if found.town:
            self.mdata[f"{name}{SEPARATOR}town"] = found.town

    # -- initial values --------------------------------------------------------------------------------

    def _initial(self, initial: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for member in self.page.fields:
            if member.id in initial:
                _initial_values(member, member.id, initial[member.id], values, self.language)
        return values

    # -- validation ------------------------------------------------------------------------------------

    def full_clean(self) -> None:
        with translation.override(self.language):
            if self.action is not None:
                self._errors = ErrorDict()
                self.cleaned_data = {}
                for name, messages in self.action_errors.items():
                    for message in messages:
                        self.add_error(name, message)
                return
            super().full_clean()

    def is_valid(self) -> bool:
        return self.action is None and super().is_valid()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        effective = dict(self.context_answers)
        answers: dict[str, Any] = {}
        for member in self.members:
            if not evaluate(member.condition, effective):
                self._discard(self._names[member.id])
                continue
            value = self._collect(member, prefix="", suffix="")
            if value is not None and is_answered(value):
                answers[member.id] = value
                effective[member.id] = value
        self._answers = answers
        return cleaned

    def _discard(self, names: list[str]) -> None:
        for name in names:
            self._errors.pop(name, None)
            self.cleaned_data.pop(name, None)

    def _has_error(self, names: list[str]) -> bool:
        return any(name in self._errors for name in names)

    def _required_message(self, member: FieldDef, label: str) -> str:
        said = message_label(label, self.language)
        if member.type in ("single_choice", "multiple_choice"):
            return str(MSG_SELECT % {"label": said})
        if member.type == "file":
            return str(MSG_FILE_REQUIRED % {"label": said})
        if member.type == "consent":
            return str(MSG_CONSENT)
        return str(MSG_ENTER % {"label": said})

    def _collect(self, member: FieldDef, *, prefix: str, suffix: str) -> Any:
        name = prefix + member.id
        kind = member.type
        if kind == "name":
            return self._collect_name(member, name, suffix)
        if kind == "address":
            return self._collect_address(member, name, suffix)
        if kind == "repeated_group":
            return self._collect_group(member, name)
        if name in self._errors:
            return None
        value = self.cleaned_data.get(name)
        answer = _canonical(member, value)
        if not is_answered(answer):
            if member.required:
                self.add_error(name, self._required_message(member, self._label(member, suffix)))
            return None
        if kind == "multiple_choice":
            count = len(answer)
            label = message_label(self._label(member, suffix), self.language)
            if member.min_choices is not None and count < member.min_choices:
                self.add_error(name, str(MSG_CHOICES_MIN % {"label": label, "min": member.min_choices}))
                return None
            if member.max_choices is not None and count > member.max_choices:
                self.add_error(name, str(MSG_CHOICES_MAX % {"label": label, "max": member.max_choices}))
                return None
        return answer

    def _collect_name(self, member: FieldDef, name: str, suffix: str) -> dict[str, str] | None:
        parts = (
            ("family_name", "given_name", "family_name_kana", "given_name_kana")
            if member.kana
            else ("family_name", "given_name")
        )
        names = [f"{name}{SEPARATOR}{part}" for part in parts]
        values = {part: self.cleaned_data.get(form_name) or "" for part, form_name in zip(parts, names, strict=True)}
        typed_any = any(values.values()) or self._has_error(names)
        if member.required or typed_any:
            for part, form_name in zip(parts, names, strict=True):
                if not values[part] and form_name not in self._errors:
                    label = message_label(self._part_label(part, suffix), self.language)
                    self.add_error(form_name, str(MSG_ENTER % {"label": label}))
        if self._has_error(names) or not any(values.values()):
            return None
        return values

    def _collect_address(self, member: FieldDef, name: str, suffix: str) -> dict[str, str] | None:
        names = {part: f"{name}{SEPARATOR}{part}" for part in ADDRESS_PARTS}
        values = {part: self.cleaned_data.get(form_name) or "" for part, form_name in names.items()}
        postal = values["postal_code"]
        found = lookup_postcode(postal) if postal and names["postal_code"] not in self._errors else None
        skip_required: set[str] = set()
        if found is not None:
            # 郵便番号 alone fills what was left empty (no JavaScript needed); shown again if the page has errors.
            for part in ("prefecture", "city", "town"):
                if not values[part] and getattr(found, part):
                    values[part] = getattr(found, part)
                    self.mdata[names[part]] = values[part]
            if (
                values["prefecture"]
                and values["prefecture"] != found.prefecture
                and names["prefecture"] not in self._errors
            ):
                self.add_error(
                    names["prefecture"],
                    str(MSG_POSTAL_PREFECTURE % {"code": f"{postal[:3]}-{postal[3:]}", "prefecture": found.prefecture}),
                )
        elif postal and not values["prefecture"] and not values["city"] and names["postal_code"] not in self._errors:
            self.add_error(names["postal_code"], str(MSG_POSTAL_UNKNOWN))
            skip_required = {"prefecture", "city"}
        elif names["postal_code"] in self._errors and not values["prefecture"] and not values["city"]:
            skip_required = {"prefecture", "city"}  # they come from the postcode once it is right
        typed_any = any(values.values())
        if member.required or typed_any or self._has_error(list(names.values())):
            for part in ADDRESS_REQUIRED:
                if not values[part] and names[part] not in self._errors and part not in skip_required:
                    label = message_label(self._part_label(part, suffix), self.language)
                    message = MSG_SELECT if part == "prefecture" else MSG_ENTER
                    self.add_error(names[part], str(message % {"label": label}))
        if self._has_error(list(names.values())) or not any(values.values()):
            return None
        return values

    def _collect_group(self, group: FieldDef, name: str) -> list[dict[str, Any]] | None:
        label = group.label.get(self.language)
        errors: list[str] = []
        items: list[dict[str, Any]] = []
        failed = False
        for index in range(self._counts[group.id]):
            prefix = f"{name}{SEPARATOR}{index}{SEPARATOR}"
            item_names = [key for key in self.fields if key.startswith(prefix)]
            if self._item_is_blank(item_names):
                continue  # an item added and left empty is dropped, not an error
            legend = self._item_legend(group, index)
            item: dict[str, Any] = {}
            for member in group.fields:
                value = self._collect(member, prefix=prefix, suffix=legend)
                if value is not None and is_answered(value):
                    item[member.id] = value
            if self._has_error(item_names):
                failed = True
            else:
                items.append(item)
        said = message_label(label, self.language)
        if group.id in self._overflow:
            errors.append(str(MSG_GROUP_MAX % {"label": said, "max": group.max_items}))
        elif not failed and len(items) < group.effective_min_items:
            errors.append(str(MSG_GROUP_MIN % {"label": said, "min": group.effective_min_items}))
        if errors:
            self.group_errors[group.id] = errors
            for message in errors:
                self.add_error(None, message)
            return None
        return None if failed else items

    def _item_is_blank(self, names: list[str]) -> bool:
        for name in names:
            for value in self.mdata.getlist(name) + self.mfiles.getlist(name):
                if value not in (None, "", False) and not (isinstance(value, str) and not value.strip()):
                    return False
        return True

    # -- results ---------------------------------------------------------------------------------------

    def answers(self) -> dict[str, Any]:
        """This page's answers as JSON-ready values, keyed by field id (unanswered fields left out)."""
        if not self.is_valid() or self._answers is None:
            raise ValueError("answers() needs a valid form")
        return dict(self._answers)

    def merge_into(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of `answers` with this page's fields replaced by what was just submitted."""
        page_ids = {member.id for member in self.page.fields}
        merged = {key: value for key, value in answers.items() if key not in page_ids}
        merged.update(self.answers())
        return merged

    @property
    def has_actions(self) -> bool:
        return any(m.type in ("repeated_group", "address") for m in self.members) or any(
            sub.type == "address" for m in self.members for sub in m.fields
        )

    # -- rendering -------------------------------------------------------------------------------------

    @property
    def sections(self) -> list[Section]:
        page_ids = {member.id for member in self.page.fields}
        result = []
        for member in self.members:
            section = self._section(member, prefix="", suffix="")
            if self._depends_on_page(member.condition, page_ids) and member.condition is not None:
                section.condition_json = json.dumps(member.condition.to_dict(), ensure_ascii=False, default=str)
                section.condition_text = describe_condition(member.condition, self.definition, self.language)
            result.append(section)
        return result

    def _section(self, member: FieldDef, *, prefix: str, suffix: str) -> Section:
        name = prefix + member.id
        hint = member.hint.get(self.language) if member.hint else ""
        legend = self._label(member, suffix)
        if member.type in ("name", "address"):
            parts = [
                key
                for key in self.fields
                if key.startswith(f"{name}{SEPARATOR}") and key.count(SEPARATOR) == name.count(SEPARATOR) + 1
            ]
            section = Section(
                "fieldset",
                member.id,
                name,
                legend=legend,
                hint=hint,
                required=member.required,
                fields=[self[p] for p in parts],
            )
            if member.type == "address":
                section.lookup_action = PageAction("lookup", name).value
                section.postal_name = f"{name}{SEPARATOR}postal_code"
            return section
        if member.type == "repeated_group":
            items = []
            for index in range(self._counts[member.id]):
                item_prefix = f"{name}{SEPARATOR}{index}{SEPARATOR}"
                item_legend = self._item_legend(member, index)
                items.append(
                    GroupItem(
                        index=index,
                        legend=item_legend,
                        sections=[self._section(sub, prefix=item_prefix, suffix=item_legend) for sub in member.fields],
                        remove_action=PageAction("remove", member.id, index).value,
                    )
                )
            return Section(
                "group",
                member.id,
                name,
                legend=legend,
                hint=hint,
                required=member.effective_min_items > 0,
                items=items,
                count_field=self[f"{name}{SEPARATOR}{ITEMS_SUFFIX}"],
                add_action=PageAction("add", member.id).value,
                item_noun=(member.item_label or member.label).get(self.language),
                can_add=self._counts[member.id] < member.max_items,
                errors=self.group_errors.get(member.id, []),
            )
        section = Section(
            "field", member.id, name, legend=legend, hint=hint, required=member.required, field=self[name]
        )
        if member.type == "file":
            current = self[name].initial
            if isinstance(current, dict) and isinstance(current.get("name"), str):
                section.current_file = current["name"]
            section.current_field = self[f"{name}{SEPARATOR}{CURRENT_SUFFIX}"]
        return section

    def render(self, template_name: str | None = None, context: Any = None, renderer: Any = None) -> SafeString:
        if template_name is not None:
            return super().render(template_name, context, renderer)
        with translation.override(self.language):
            return SafeString(_template().render({"form": self}))

    def __str__(self) -> SafeString:
        return self.render()


def describe_condition(condition: Condition, definition: FormDefinition, language: str) -> str:
    """A hint for a field shown only for some answers on the same page (read when JavaScript is off)."""
    if condition.operator in ("equals", "in"):
        target = definition.field(condition.field)
        if target is not None and target.options:
            values = condition.value if condition.operator == "in" else (condition.value,)
            choices = ("」「" if language == "ja" else '", "').join(target.option_label(v, language) for v in values)
            with translation.override(language):
                return str(
                    _("「%(field)s」で「%(choice)s」を選んだ方のみお答えください。")
                    % {"field": target.label.get(language), "choice": choices}
                )
    with translation.override(language):
        return str(_("該当する方のみお答えください。"))


# ---------------------------------------------------------------------------------------------------------
# Values


def _canonical(member: FieldDef, value: Any) -> Any:
    """Cleaned Django value → the JSON value stored in answers."""
    if value is None:
        return None
    if member.type == "date":
        return value.isoformat() if isinstance(value, datetime.date) else None
    if member.type == "number":
        if not isinstance(value, Decimal):
            return None
        return int(value) if member.decimal_places == 0 else float(value)
    if member.type == "multiple_choice":
        selected = set(value)
        return [option.value for option in member.options if option.value in selected]
    if member.type == "consent":
        return True if value is True else None
    return value


def _initial_values(member: FieldDef, name: str, value: Any, out: dict[str, Any], language: str) -> None:
    """A stored answer → the form's initial values (what the resident sees again)."""
    kind = member.type
    if kind in ("name", "address"):
        if isinstance(value, dict):
            for part, part_value in value.items():
                if isinstance(part, str) and isinstance(part_value, str):
                    out[f"{name}{SEPARATOR}{part}"] = (
                        f"{part_value[:3]}-{part_value[3:]}"
                        if part == "postal_code" and len(part_value) == 7
                        else part_value
                    )
        return
    if kind == "repeated_group":
        if isinstance(value, list):
            for index, item in enumerate(value[: member.max_items]):
                if isinstance(item, dict):
                    for sub in member.fields:
                        if sub.id in item:
                            _initial_values(
                                sub, f"{name}{SEPARATOR}{index}{SEPARATOR}{sub.id}", item[sub.id], out, language
                            )
        return
    if kind == "date" and isinstance(value, str):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            out[name] = value
        else:
            out[name] = to_wareki(day) if language == "ja" else day.isoformat()
        return
    if kind == "file":
        out[name] = value
        if isinstance(value, dict) and isinstance(value.get("ref"), str):
            out[f"{name}{SEPARATOR}{CURRENT_SUFFIX}"] = value["ref"]
        return
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        out[name] = str(value)
        return
    out[name] = value


def _mutable(data: Any) -> MultiValueDict[str, Any]:
    if hasattr(data, "lists"):
        return MultiValueDict({key: list(values) for key, values in data.lists()})
    result: MultiValueDict[str, Any] = MultiValueDict()
    for key, value in dict(data).items():
        result.setlist(str(key), list(value) if isinstance(value, list | tuple) else [value])
    return result


def page_form(
    definition: FormDefinition,
    page_id: str,
    *,
    data: Any = None,
    files: Any = None,
    initial: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    language: str | None = None,
    only: Collection[str] | None = None,
) -> PageForm:
    """The Django form of one page.

    `initial` is the stored answers (drafts, prefill) shown in the fields; `answers` (default: `initial`) are
    the answers so far, which decide fields whose conditions look at earlier pages. `data`/`files` are the
    POST. `language` ("ja" or "en"; default the active language) picks labels and messages. `only` limits the
    page to these field ids (a correction request).
    Raises UnknownPageError for a page id the definition does not have.
    """
    return PageForm(
        definition,
        definition.page(page_id),
        data=data,
        files=files,
        initial=initial,
        answers=answers,
        language=language,
        only=only,
    )
