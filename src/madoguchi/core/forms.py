"""Form fields and widgets shared by every module."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .dates import DateParseError, parse_date, to_wareki
from .validators import normalize_katakana, normalize_phone_number, normalize_postal_code


class JapaneseDateField(forms.CharField):
    """A text date input that accepts 和暦 and 西暦 (令和8年4月1日, R8.4.1, 2026-04-01)."""

    default_error_messages = {"required": _("日付を入力してください。")}

    def __init__(self, *, min_date: datetime.date | None = None, max_date: datetime.date | None = None, **kwargs: Any):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("例：令和8年4月1日、R8.4.1、2026-04-01（和暦・西暦どちらでも入力できます）"))
        super().__init__(**kwargs)
        # Length is checked on the typed text in to_python; CharField's validators would see a date.
        self.validators = []
        self.min_date = min_date
        self.max_date = max_date
        self.widget.attrs.setdefault("inputmode", "text")
        self.widget.attrs.setdefault("autocomplete", "off")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(
                _("日付は%(max)s文字以内で入力してください。") % {"max": self.max_length}, code="max_length"
            )
        try:
            parsed = parse_date(text)
        except DateParseError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        if self.min_date and parsed < self.min_date:
            raise ValidationError(
                _("%(min)s以降の日付を入力してください。") % {"min": to_wareki(self.min_date)}, code="min"
            )
        if self.max_date and parsed > self.max_date:
            raise ValidationError(
                _("%(max)s以前の日付を入力してください。") % {"max": to_wareki(self.max_date)}, code="max"
            )
        return parsed


class _NormalizingCharField(forms.CharField):
    normalizer = staticmethod(lambda value: value)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return self.normalizer(text) if text else text


class PostalCodeField(_NormalizingCharField):
    normalizer = staticmethod(normalize_postal_code)

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "postal-code"})


class PhoneNumberField(_NormalizingCharField):
    normalizer = staticmethod(normalize_phone_number)

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.update({"autocomplete": "tel"})


class KatakanaField(_NormalizingCharField):
    normalizer = staticmethod(normalize_katakana)
