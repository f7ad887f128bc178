from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, Municipality

from .models import Dataset, Frequency, Group, License
from .providers import all_providers
from .standards import standard_choices

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class SearchForm(forms.Form):
    q = forms.CharField(label=_("キーワード"), required=False, max_length=200)

    def clean_q(self) -> str:
        value = self.cleaned_data["q"]
        if any(ord(ch) < 32 for ch in value):
            raise forms.ValidationError(_("使えない文字が含まれています。"))
        return value


class DatasetForm(forms.Form):
    name = forms.CharField(
        label=_("識別名（URL・API 用）"),
        max_length=100,
        help_text=_("英小文字・数字・「-」「_」の2〜100文字。例：evacuation-space"),
    )
    title = forms.CharField(label=_("タイトル"), max_length=200)
    title_en = forms.CharField(label=_("タイトル（英語）"), max_length=200, required=False)
    notes = forms.CharField(label=_("説明"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    notes_en = forms.CharField(
        label=_("説明（英語）"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        label=_("担当課"), queryset=Department.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("タグ"), max_length=2000, required=False, help_text=_("読点（、）かカンマで区切ります。")
    )
    groups = forms.MultipleChoiceField(
        label=_("分類"), choices=Group.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    license_id = forms.ChoiceField(label=_("ライセンス"), choices=License.choices, initial=License.CC_BY_4)
    frequency = forms.ChoiceField(label=_("更新頻度"), choices=Frequency.choices, initial=Frequency.IRREGULAR)
    standard_number = forms.ChoiceField(label=_("自治体標準オープンデータセット"), required=False)

    def __init__(self, *args: Any, municipality: Municipality, departments: frozenset[int] | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        queryset = Department.objects.filter(municipality=municipality, is_active=True)
        if departments is not None:
            queryset = queryset.filter(pk__in=departments)
            self.fields["department"].required = True
        self.fields["department"].queryset = queryset  # type: ignore[attr-defined]
        self.fields["standard_number"].choices = [("", _("該当しない")), *standard_choices()]  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(dataset: Dataset) -> dict[str, Any]:
        return {
            "name": dataset.name,
            "title": dataset.title,
            "title_en": dataset.title_en,
            "notes": dataset.notes,
            "notes_en": dataset.notes_en,
            "department": dataset.department,
            "tags": "、".join(dataset.tags),
            "groups": dataset.groups,
            "license_id": dataset.license_id,
            "frequency": dataset.frequency,
            "standard_number": dataset.standard_number,
        }


class UploadForm(forms.Form):
    name = forms.CharField(
        label=_("リソース名"), max_length=200, required=False, help_text=_("空欄ならファイル名になります。")
    )
    description = forms.CharField(
        label=_("説明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    file = forms.FileField(
        label=_("ファイル"), help_text=_("CSV（UTF-8・Shift_JIS）、XLSX、JSON、GeoJSON、PDF。20MBまで。")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（20MBまで）。"))
        return upload


class LinkForm(forms.Form):
    name = forms.CharField(label=_("リンク名"), max_length=200)
    url = forms.URLField(label=_("URL"), max_length=490, assume_scheme="https")


class PublishForm(forms.Form):
    nonconforming = forms.BooleanField(
        label=_("標準に適合しないまま公開する"),
        required=False,
        help_text=_(
            "適合しない箇所があることを承知のうえで公開します。データセットのページとAPIにその旨が表示されます。"
        ),
    )


class LiveDatasetForm(forms.Form):
    provider_key = forms.ChoiceField(label=_("自動生成の元データ"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["provider_key"].choices = [(key, str(p.title)) for key, p in sorted(all_providers().items())]  # type: ignore[attr-defined]
