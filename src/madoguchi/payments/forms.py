"""Forms of payments: the resident's choice of method, the test gateway's card page, staff refunds and filters."""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MAX_PAYMENT_AMOUNT, PaymentMethod, PaymentStatus
from .testgateway import TEST_CARDS


class PaymentMethodForm(forms.Form):
    method = forms.ChoiceField(
        label=_("お支払い方法"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("お支払い方法を選んでください。"),
            "invalid_choice": _("お支払い方法を選んでください。"),
        },
    )

    def __init__(self, *args: Any, methods: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(choice.method, choice.label) for choice in methods]  # type: ignore[attr-defined]


def _normalise_digits(value: str) -> str:
    """Full-width digits become ASCII; spaces and hyphens people type between groups are dropped."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch not in " -\u3000")


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class CardForm(forms.Form):
    """The test gateway's hosted card page. Only the test cards are accepted; nothing is stored but the last
    four digits."""

    card_number = forms.CharField(
        label=_("カード番号"),
        max_length=40,
        help_text=_("テスト用：4242 4242 4242 4242（成功）、4000 0000 0000 0002（拒否）"),
        error_messages={
            "required": _("カード番号を入力してください。"),
            "max_length": _("カード番号は16桁の数字で入力してください。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.CharField(
        label=_("有効期限（月/年）"),
        max_length=10,
        help_text=_("例：12/30"),
        error_messages={
            "required": _("有効期限を入力してください。"),
            "max_length": _("有効期限は「月/年」（例：12/30）の形で入力してください。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric"}),
    )
    cvc = forms.CharField(
        label=_("セキュリティコード"),
        max_length=10,
        help_text=_("カード裏面の3桁または4桁の数字"),
        error_messages={
            "required": _("セキュリティコードを入力してください。"),
            "max_length": _("セキュリティコードは3桁または4桁の数字で入力してください。"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_card_number(self) -> str:
        number = _normalise_digits(self.cleaned_data["card_number"])
        if not number.isascii() or not number.isdigit() or len(number) != 16:
            raise forms.ValidationError(_("カード番号は16桁の数字で入力してください。"))
        if not _luhn_ok(number):
            raise forms.ValidationError(_("カード番号が正しくありません。入力し直してください。"))
        if number not in TEST_CARDS:
            raise forms.ValidationError(_("テスト用決済では、画面に示したテスト用のカード番号だけが使えます。"))
        return number

    def clean_expiry(self) -> datetime.date:
        value = _normalise_digits(self.cleaned_data["expiry"]).replace("／", "/")
        month_text, sep, year_text = value.partition("/")
        if not sep or not month_text.isdigit() or not year_text.isdigit() or len(year_text) not in (2, 4):
            raise forms.ValidationError(_("有効期限は「月/年」（例：12/30）の形で入力してください。"))
        month, year = int(month_text), int(year_text)
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("有効期限の月は1から12で入力してください。"))
        year = year + 2000 if year < 100 else year
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("有効期限が過ぎています。"))
        if year > today.year + 20:
            raise forms.ValidationError(_("有効期限の年が正しくありません。"))
        return datetime.date(year, month, 1)

    def clean_cvc(self) -> str:
        value = _normalise_digits(self.cleaned_data["cvc"])
        if not value.isascii() or not value.isdigit() or len(value) not in (3, 4):
            raise forms.ValidationError(_("セキュリティコードは3桁または4桁の数字で入力してください。"))
        return value


class RefundForm(forms.Form):
    amount = forms.IntegerField(
        label=_("返金額（円）"),
        min_value=1,
        max_value=MAX_PAYMENT_AMOUNT,
        error_messages={
            "required": _("返金額を入力してください。"),
            "invalid": _("返金額は半角数字（円）で入力してください。"),
            "min_value": _("返金額は1円以上の整数で入力してください。"),
            "max_value": _("返金額が大きすぎます。"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=_("返金の理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("返金の理由を入力してください。"),
            "max_length": _("返金の理由は500文字以内で入力してください。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Full-width digits and thousands separators are what people type.
        if self.is_bound:
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict when bound
            raw = data.get(self.add_prefix("amount"), "")
            data[self.add_prefix("amount")] = (
                unicodedata.normalize("NFKC", str(raw)).replace(",", "").replace("円", "").strip()
            )
            self.data = data


class PaymentFilterForm(forms.Form):
    q = forms.CharField(label=_("受付番号・領収番号・取引ID"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状態"), required=False, choices=[("", _("すべて")), *PaymentStatus.choices])
    method = forms.ChoiceField(
        label=_("支払い方法"), required=False, choices=[("", _("すべて")), *PaymentMethod.choices]
    )
