"""Forms of the staff form builder. Each turns what staff type into the definition JSON of one page, field,
condition or fee line; the service then checks the whole definition with the engine's validator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .engine.definition import (
    GROUP_MEMBER_TYPES,
    ID_MAX_LENGTH,
    PREFILL_SOURCES,
    FieldDef,
    FormDefinition,
    LocalizedText,
)
from .engine.forms import (
    MSG_CHOICE,
    MSG_DECIMALS,
    MSG_ENTER,
    MSG_FILE_EMPTY,
    MSG_FILE_REQUIRED,
    MSG_INTEGER,
    MSG_NUMBER,
    MSG_NUMBER_MAX,
    MSG_NUMBER_MIN,
    MSG_NUMBER_TOO_BIG,
    MSG_SELECT,
    MSG_TOO_LONG,
)

TYPE_LABELS: dict[str, Any] = {
    "short_text": _("短い文章"),
    "long_text": _("長い文章"),
    "number": _("数値"),
    "date": _("日付"),
    "single_choice": _("選択（1つ）"),
    "multiple_choice": _("選択（複数）"),
    "phone": _("電話番号"),
    "email": _("メールアドレス"),
    "file": _("ファイル"),
    "name": _("氏名"),
    "address": _("住所"),
    "repeated_group": _("繰り返し項目"),
    "consent": _("同意"),
}
# Types that need no further settings, so a new page or group can start with one.
FIRST_FIELD_TYPES = ("short_text", "long_text", "number", "date", "phone", "email", "file", "name", "address")
FILE_KIND_LABELS = (("pdf", "PDF"), ("image", _("画像")), ("office", _("Word・Excel")))

ID_HELP = _("半角の小文字・数字・下線（_）。先頭は英字。例：applicant_name")


def type_choices(types: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(key, TYPE_LABELS[key]) for key in types]


def _text(ja: str, en: str) -> dict[str, str] | None:
    ja, en = ja.strip(), en.strip()
    if not ja:
        return None
    return {"ja": ja, "en": en} if en else {"ja": ja}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _split(text: LocalizedText | None) -> tuple[str, str]:
    return (text.ja, text.en) if text else ("", "")


def specific_messages(form: forms.Form) -> None:
    """Messages that name the field and say what to do (「見出しを入力してください。」), as in the resident forms."""
    for field in form.fields.values():
        label = str(field.label)
        messages = field.error_messages
        if isinstance(field, forms.FileField):
            messages.update(required=MSG_FILE_REQUIRED % {"label": label}, empty=MSG_FILE_EMPTY)
        elif isinstance(field, forms.ChoiceField):
            messages.update(required=MSG_SELECT % {"label": label}, invalid_choice=MSG_CHOICE % {"label": label})
        else:
            messages["required"] = MSG_ENTER % {"label": label}
        if isinstance(field, forms.CharField) and field.max_length is not None:
            messages["max_length"] = MSG_TOO_LONG % {
                "label": label,
                "max": "%(limit_value)d",
                "length": "%(show_value)d",
            }
        if isinstance(field, forms.IntegerField | forms.DecimalField):
            messages.update(
                invalid=(MSG_NUMBER if isinstance(field, forms.DecimalField) else MSG_INTEGER) % {"label": label},
                min_value=MSG_NUMBER_MIN % {"label": label, "min": "%(limit_value)s"},
                max_value=MSG_NUMBER_MAX % {"label": label, "max": "%(limit_value)s"},
                max_decimal_places=MSG_DECIMALS % {"label": label, "places": "%(max)s"},
                max_digits=MSG_NUMBER_TOO_BIG % {"label": label},
                max_whole_digits=MSG_NUMBER_TOO_BIG % {"label": label},
            )


class BuilderForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        specific_messages(self)


class IdField(forms.CharField):
    def __init__(self, **kwargs: Any):
        super().__init__(max_length=ID_MAX_LENGTH, help_text=ID_HELP, **kwargs)


class PageForm(BuilderForm):
    id = IdField(label=_("ページID"))
    title_ja = forms.CharField(label=_("見出し"), max_length=200)
    title_en = forms.CharField(label=_("見出し（英語）"), max_length=300, required=False)
    hint_ja = forms.CharField(
        label=_("説明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hint_en = forms.CharField(
        label=_("説明（英語）"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    @classmethod
    def initial_from(cls, page: Any) -> dict[str, Any]:
        title, hint = _split(page.title), _split(page.hint)
        return {"id": page.id, "title_ja": title[0], "title_en": title[1], "hint_ja": hint[0], "hint_en": hint[1]}

    def page(self) -> dict[str, Any]:
        data = self.cleaned_data
        page: dict[str, Any] = {"id": data["id"], "title": _text(data["title_ja"], data["title_en"])}
        hint = _text(data["hint_ja"], data["hint_en"])
        if hint:
            page["hint"] = hint
        return page


class PageAddForm(PageForm):
    field_id = IdField(label=_("最初の質問の項目ID"))
    field_type = forms.ChoiceField(label=_("最初の質問の種類"), choices=type_choices(FIRST_FIELD_TYPES))
    field_label_ja = forms.CharField(label=_("最初の質問"), max_length=200)

    def first_field(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"id": data["field_id"], "type": data["field_type"], "label": {"ja": data["field_label_ja"].strip()}}


def _parse_options(text: str) -> list[dict[str, Any]]:
    options = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise forms.ValidationError(
                _("%(line)s行目：「値|表示名|英語の表示名」の形で書いてください（英語は省略できます）。"),
                params={"line": number},
            )
        label = {"ja": parts[1], "en": parts[2]} if len(parts) == 3 and parts[2] else {"ja": parts[1]}
        options.append({"value": parts[0], "label": label})
    if not options:
        raise forms.ValidationError(_("選択肢を1つ以上入力してください。"))
    return options


class FieldForm(BuilderForm):
    """The settings of one field; which inputs it has depends on the type (chosen first)."""

    def __init__(self, *args: Any, field_type: str, in_group: bool = False, creating: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.field_type = field_type
        self.in_group = in_group
        f = self.fields
        f["id"] = IdField(label=_("項目ID"))
        f["label_ja"] = forms.CharField(label=_("質問"), max_length=200)
        f["label_en"] = forms.CharField(label=_("質問（英語）"), max_length=300, required=False)
        f["hint_ja"] = forms.CharField(
            label=_("説明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
        f["hint_en"] = forms.CharField(
            label=_("説明（英語）"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
        if field_type != "consent":
            f["required"] = forms.BooleanField(label=_("回答を必須にする"), required=False, initial=True)
        if field_type in ("short_text", "long_text"):
            f["max_length"] = forms.IntegerField(
                label=_("最大文字数"),
                required=False,
                min_value=1,
                max_value=10_000,
                help_text=_("空欄なら短い文章は200文字、長い文章は2000文字です。"),
            )
        if field_type == "number":
            f["min"] = forms.DecimalField(label=_("最小値"), required=False, max_digits=22, decimal_places=6)
            f["max"] = forms.DecimalField(label=_("最大値"), required=False, max_digits=22, decimal_places=6)
            f["decimal_places"] = forms.IntegerField(
                label=_("小数点以下の桁数"), required=False, min_value=0, max_value=6, initial=0
            )
            f["unit_ja"] = forms.CharField(label=_("単位"), max_length=20, required=False, help_text=_("例：通"))
            f["unit_en"] = forms.CharField(label=_("単位（英語）"), max_length=30, required=False)
        if field_type == "date":
            date_help = _("「today」（その日）または 2026-04-01 の形。空欄なら制限なし。")
            f["min"] = forms.CharField(label=_("最も早い日付"), max_length=10, required=False, help_text=date_help)
            f["max"] = forms.CharField(label=_("最も遅い日付"), max_length=10, required=False, help_text=date_help)
        if field_type in ("single_choice", "multiple_choice"):
            f["options"] = forms.CharField(
                label=_("選択肢"),
                widget=forms.Textarea(attrs={"rows": 6}),
                max_length=40_000,
                help_text=_("1行に1つ、「値|表示名|英語の表示名」。例：post|郵送|By post"),
            )
        if field_type == "multiple_choice":
            f["min"] = forms.IntegerField(label=_("最低限選ぶ数"), required=False, min_value=0, max_value=200)
            f["max"] = forms.IntegerField(label=_("最大で選べる数"), required=False, min_value=1, max_value=200)
        if field_type == "name":
            f["kana"] = forms.BooleanField(label=_("フリガナも尋ねる"), required=False, initial=True)
        if field_type == "file":
            f["max_size_mb"] = forms.DecimalField(
                label=_("ファイルの上限（MB）"), required=False, max_digits=5, decimal_places=2, initial=10
            )
            f["kinds"] = forms.MultipleChoiceField(
                label=_("受け付けるファイル"),
                choices=FILE_KIND_LABELS,
                widget=forms.CheckboxSelectMultiple,
                initial=["pdf", "image"],
            )
        if field_type == "repeated_group":
            f["min_items"] = forms.IntegerField(label=_("最低件数"), required=False, min_value=0, max_value=100)
            f["max_items"] = forms.IntegerField(label=_("最大件数"), min_value=1, max_value=100)
            f["item_label_ja"] = forms.CharField(
                label=_("1件の呼び名"), max_length=200, required=False, help_text=_("例：子ども")
            )
            f["item_label_en"] = forms.CharField(label=_("1件の呼び名（英語）"), max_length=300, required=False)
            if creating:
                f["member_id"] = IdField(label=_("最初の項目の項目ID"))
                f["member_type"] = forms.ChoiceField(
                    label=_("最初の項目の種類"), choices=type_choices(FIRST_FIELD_TYPES)
                )
                f["member_label_ja"] = forms.CharField(label=_("最初の項目の質問"), max_length=200)
        if field_type == "consent":
            f["declaration_ja"] = forms.CharField(
                label=_("同意する内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
            )
            f["declaration_en"] = forms.CharField(
                label=_("同意する内容（英語）"),
                max_length=7000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        sources = [source for source, kinds in PREFILL_SOURCES.items() if field_type in kinds]
        if sources and not in_group:
            f["prefill"] = forms.MultipleChoiceField(
                label=_("自動入力（書かない窓口）"),
                choices=[(source, source) for source in sources],
                widget=forms.CheckboxSelectMultiple,
                required=False,
                help_text=_(
                    "マイナンバーカード（claims）やプロフィール（profile）の情報を入力しておきます。3つまで、上から順に使います。"
                ),
            )
        specific_messages(self)

    @classmethod
    def initial_from(cls, field: FieldDef) -> dict[str, Any]:
        label, hint = _split(field.label), _split(field.hint)
        initial: dict[str, Any] = {
            "id": field.id,
            "label_ja": label[0],
            "label_en": label[1],
            "hint_ja": hint[0],
            "hint_en": hint[1],
            "required": field.required,
            "max_length": field.max_length,
            "kana": field.kana,
            "prefill": list(field.prefill),
            "min_items": field.min_items or None,
            "max_items": field.max_items or None,
        }
        unit, item_label, declaration = _split(field.unit), _split(field.item_label), _split(field.declaration)
        initial.update(
            unit_ja=unit[0],
            unit_en=unit[1],
            item_label_ja=item_label[0],
            item_label_en=item_label[1],
            declaration_ja=declaration[0],
            declaration_en=declaration[1],
        )
        if field.type == "number":
            initial.update(min=field.min_value, max=field.max_value, decimal_places=field.decimal_places)
        elif field.type == "date":
            initial.update(min=field.min_date or "", max=field.max_date or "")
        elif field.type == "multiple_choice":
            initial.update(min=field.min_choices, max=field.max_choices)
        if field.options:
            initial["options"] = "\n".join(
                "|".join(part for part in (o.value, o.label.ja, o.label.en) if part) for o in field.options
            )
        if field.type == "file":
            initial.update(max_size_mb=field.max_size_mb, kinds=list(field.kinds))
        return initial

    def clean_options(self) -> list[dict[str, Any]]:
        return _parse_options(self.cleaned_data["options"])

    def clean_prefill(self) -> list[str]:
        chosen = self.cleaned_data.get("prefill") or []
        if len(chosen) > 3:
            raise forms.ValidationError(_("自動入力は3つまで選んでください。"))
        return list(chosen)

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        field: dict[str, Any] = {
            "id": data["id"],
            "type": self.field_type,
            "label": _text(data["label_ja"], data["label_en"]),
        }
        if self.field_type != "consent":
            field["required"] = bool(data.get("required"))
        hint = _text(data["hint_ja"], data["hint_en"])
        if hint:
            field["hint"] = hint
        if data.get("prefill"):
            field["prefill"] = data["prefill"][0] if len(data["prefill"]) == 1 else data["prefill"]
        if data.get("max_length") is not None:
            field["max_length"] = data["max_length"]
        if self.field_type == "number":
            for key in ("min", "max"):
                if data.get(key) is not None:
                    field[key] = _number(data[key])
            if data.get("decimal_places"):
                field["decimal_places"] = data["decimal_places"]
            unit = _text(data.get("unit_ja", ""), data.get("unit_en", ""))
            if unit:
                field["unit"] = unit
        if self.field_type == "date":
            for key in ("min", "max"):
                if data.get(key, "").strip():
                    field[key] = data[key].strip()
        if "options" in data:
            field["options"] = data["options"]
        if self.field_type == "multiple_choice":
            for key in ("min", "max"):
                if data.get(key) is not None:
                    field[key] = data[key]
        if self.field_type == "name" and not data.get("kana"):
            field["kana"] = False
        if self.field_type == "file":
            field["max_size_mb"] = _number(data["max_size_mb"] if data.get("max_size_mb") is not None else Decimal(10))
            field["kinds"] = list(data.get("kinds") or [])
        if self.field_type == "repeated_group":
            field["max_items"] = data["max_items"]
            if data.get("min_items") is not None:
                field["min_items"] = data["min_items"]
            item_label = _text(data.get("item_label_ja", ""), data.get("item_label_en", ""))
            if item_label:
                field["item_label"] = item_label
            if "member_id" in data:
                field["fields"] = [
                    {"id": data["member_id"], "type": data["member_type"], "label": {"ja": data["member_label_ja"]}}
                ]
        if self.field_type == "consent":
            field["declaration"] = _text(data["declaration_ja"], data["declaration_en"])
        return field


class TypeChoiceForm(BuilderForm):
    type = forms.ChoiceField(label=_("質問の種類"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, in_group: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        allowed = GROUP_MEMBER_TYPES if in_group else tuple(TYPE_LABELS)
        self.fields["type"].choices = type_choices(tuple(allowed))  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------
# Conditions


CHOICE_TYPES = ("single_choice", "multiple_choice")
VALUE_TYPES = ("short_text", "long_text", "number", "date", "phone", "email")


def leaf_operators(field: FieldDef) -> list[tuple[str, Any]]:
    answered = [("is_answered", _("回答がある")), ("is_not_answered", _("回答がない"))]
    if field.type in CHOICE_TYPES:
        return [("equals", _("選んだ選択肢のどれか")), ("not_equals", _("選んだ選択肢ではない")), *answered]
    if field.type in VALUE_TYPES:
        return [("equals", _("次の値と同じ")), ("not_equals", _("次の値と違う")), *answered]
    if field.type == "consent":
        return [("is_answered", _("同意した")), ("is_not_answered", _("同意していない"))]
    return answered


class FieldChoiceForm(BuilderForm):
    field = forms.ChoiceField(label=_("どの質問の答えで決めますか"))

    def __init__(self, *args: Any, candidates: list[FieldDef], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(f.id, f"{f.label.get()} ({f.id})") for f in candidates]  # type: ignore[attr-defined]


class ConditionLeafForm(BuilderForm):
    """One test on one earlier field: equals / not equals / one of / answered."""

    operator = forms.ChoiceField(label=_("条件"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, target: FieldDef, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.target = target
        self.fields["operator"].choices = leaf_operators(target)  # type: ignore[attr-defined]
        if target.type in CHOICE_TYPES:
            self.fields["values"] = forms.MultipleChoiceField(
                label=_("選択肢"),
                choices=[(o.value, o.label.get()) for o in target.options],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        elif target.type in VALUE_TYPES:
            self.fields["value"] = forms.CharField(
                label=_("値"),
                max_length=1000,
                required=False,
                help_text=_("日付は 2026-04-01 の形、数値は半角数字で入力してください。"),
            )
        specific_messages(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        operator = data.get("operator")
        if operator in ("equals", "not_equals"):
            if self.target.type in CHOICE_TYPES:
                values = data.get("values") or []
                if not values:
                    self.add_error("values", _("選択肢を1つ以上選んでください。"))
                elif operator == "not_equals" and len(values) > 1:
                    self.add_error("values", _("「選んだ選択肢ではない」では選択肢を1つだけ選んでください。"))
            elif not (data.get("value") or "").strip():
                self.add_error("value", _("値を入力してください。"))
            elif self.target.type == "number":
                try:
                    Decimal((data.get("value") or "").strip())
                except ArithmeticError:
                    self.add_error("value", _("数値は半角数字で入力してください。"))
        return data

    def leaf(self) -> dict[str, Any]:
        data = self.cleaned_data
        operator = data["operator"]
        field_id = self.target.id
        if operator == "is_answered":
            return {"field": field_id, "is_answered": True}
        if operator == "is_not_answered":
            return {"field": field_id, "is_answered": False}
        if self.target.type in CHOICE_TYPES:
            values = list(data["values"])
            if operator == "equals" and len(values) > 1:
                return {"field": field_id, "in": values}
            return {"field": field_id, operator: values[0]}
        raw = data["value"].strip()
        value: Any = raw
        if self.target.type == "number":
            value = _number(Decimal(raw))
        return {"field": field_id, operator: value}


def earlier_fields(definition: FormDefinition, target: str, target_id: str) -> list[FieldDef]:
    """What a condition may look at: fields on earlier pages, and for a field also earlier on its page."""
    found: list[FieldDef] = []
    for page in definition.pages:
        if target == "page" and page.id == target_id:
            return found
        for field in page.fields:
            if target == "field" and field.id == target_id:
                return found
            found.append(field)
    return found


# ---------------------------------------------------------------------------------------------------------
# Fees


class FeeItemForm(BuilderForm):
    code = forms.ChoiceField(label=_("手数料"))
    quantity_mode = forms.ChoiceField(
        label=_("数量"),
        choices=[("fixed", _("決まった数")), ("field", _("質問の答えの数"))],
        widget=forms.RadioSelect,
        initial="fixed",
    )
    quantity = forms.IntegerField(label=_("決まった数"), min_value=1, max_value=100, required=False, initial=1)
    quantity_field = forms.ChoiceField(label=_("数を答える質問"), required=False)
    label_ja = forms.CharField(
        label=_("表示名"), max_length=200, required=False, help_text=_("空欄なら手数料表の名称を使います。")
    )
    label_en = forms.CharField(label=_("表示名（英語）"), max_length=300, required=False)

    def __init__(self, *args: Any, fees: list[Any], definition: FormDefinition, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fee_codes = [fee.code for fee in fees]
        self.fields["code"].choices = [  # type: ignore[attr-defined]
            (
                fee.code,
                _("%(name)s（%(amount)s円／%(unit)s）")
                % {"name": fee.display_name, "amount": fee.amount, "unit": fee.display_unit},
            )
            for fee in fees
        ]
        eligible = [
            f
            for f in definition.fields()
            if (f.type == "number" and f.decimal_places == 0) or f.type == "repeated_group"
        ]
        self.fields["quantity_field"].choices = [("", "—")] + [(f.id, f"{f.label.get()} ({f.id})") for f in eligible]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity_mode") == "field" and not data.get("quantity_field"):
            self.add_error("quantity_field", _("数を答える質問を選んでください。"))
        if data.get("quantity_mode") == "fixed" and data.get("quantity") is None:
            self.add_error("quantity", _("数を入力してください。"))
        return data

    def item(self) -> dict[str, Any]:
        data = self.cleaned_data
        item: dict[str, Any] = {"code": data["code"]}
        if data["quantity_mode"] == "field":
            item["quantity_field"] = data["quantity_field"]
        elif data["quantity"] != 1:
            item["quantity"] = data["quantity"]
        label = _text(data["label_ja"], data["label_en"])
        if label:
            item["label"] = label
        return item


class ImportForm(BuilderForm):
    file = forms.FileField(label=_("申請書の定義ファイル（JSON）"))
