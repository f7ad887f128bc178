from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, Municipality

from .models import Applicant, Category, Delivery, LifeEvent, Procedure
from .services import CATALOGUE_FIELDS


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(
        label=_("キーワード"), required=False, max_length=100, help_text=_("例：住民票、児童手当、粗大ごみ")
    )
    category = forms.ChoiceField(label=_("分類"), required=False, choices=[("", _("すべて")), *Category.choices])
    life_event = forms.ChoiceField(
        label=_("ライフイベント"), required=False, choices=[("", _("すべて")), *LifeEvent.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.input_type = "search"


class ProcedureForm(forms.ModelForm):
    life_events = forms.MultipleChoiceField(
        label=_("ライフイベント"), required=False, choices=LifeEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    applicants = forms.MultipleChoiceField(
        label=_("申請できる方"),
        choices=Applicant.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("申請できる方を1つ以上選んでください。")},
    )
    delivery_methods = forms.MultipleChoiceField(
        label=_("結果の受け取り方"), required=False, choices=Delivery.choices, widget=forms.CheckboxSelectMultiple
    )
    # Declared here so the class never builds a query; __init__ sets this municipality's departments.
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(queryset=Department.objects.none())

    class Meta:
        model = Procedure
        fields = list(CATALOGUE_FIELDS)
        error_messages = {
            "name": {"required": _("手続名を入力してください。")},
            "name_kana": {"required": _("手続名のよみがなを入力してください。")},
            "summary": {"required": _("概要を入力してください。")},
            "processing_days": {"invalid": _("標準処理日数は0以上の整数で入力してください。")},
        }

    def __init__(self, *args: Any, municipality: Municipality, departments: frozenset[int] | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = Department.objects.filter(municipality=municipality, is_active=True).order_by("name")
        if departments is not None:
            choices = choices.filter(pk__in=departments)
        self.fields["department"] = forms.ModelChoiceField(
            queryset=choices,
            label=_("担当課"),
            empty_label=_("（課を選んでください）"),
            error_messages={"required": _("担当課を選んでください。"), "invalid_choice": _("課を選び直してください。")},
        )
        self.order_fields([*self.Meta.fields[:6], "life_events", *self.Meta.fields[6:]])
        if self.instance.pk and not self.is_bound:
            self.initial["life_events"] = list(self.instance.life_event_links.values_list("event", flat=True))

    def clean_processing_days(self) -> int:
        value = self.cleaned_data["processing_days"]
        if value > 365:
            raise forms.ValidationError(_("標準処理日数は365日以内にしてください。"))
        return value


class ApplicantMessageForm(forms.Form):
    """A message from the applicant to the department about their application."""

    text = forms.CharField(
        label=_("担当課へのメッセージ"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("担当課からの質問への回答などを書いてください（5,000文字まで）。"),
        error_messages={
            "required": _("メッセージを入力してください。"),
            "max_length": _("メッセージは5,000文字以内で入力してください。"),
        },
    )
