from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.forms import JapaneseDateField
from madoguchi.core.models import Department, Municipality

from .models import Faq, Synonym
from .text import MAX_QUESTION_LENGTH


class AskForm(forms.Form):
    q = forms.CharField(
        label=_("質問"),
        max_length=MAX_QUESTION_LENGTH,
        help_text=_("知りたいことを、ふだんの言葉で入力してください。例：住民票を取りたい"),
        error_messages={
            "required": _("質問を入力してください。"),
            "max_length": _("質問は500文字以内にしてください。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"autocomplete": "off", "enterkeyhint": "send"})


class FaqForm(forms.ModelForm):
    last_reviewed_on = JapaneseDateField(label=_("最終確認日"), required=False)

    class Meta:
        model = Faq
        fields = [
            "question",
            "phrasings",
            "answer",
            "category",
            "keywords",
            "is_published",
            "question_en",
            "answer_en",
        ]
        widgets = {"phrasings": forms.Textarea(attrs={"rows": 4}), "answer": forms.Textarea(attrs={"rows": 8})}
        error_messages = {
            "question": {
                "required": _("質問を入力してください。"),
                "max_length": _("質問は200文字以内にしてください。"),
            },
            "answer": {
                "required": _("回答を入力してください。"),
                "max_length": _("回答は10,000文字以内にしてください。"),
            },
            "phrasings": {"max_length": _("言い換えは合わせて5,000文字以内にしてください。")},
            "category": {"max_length": _("分類は60文字以内にしてください。")},
            "keywords": {"max_length": _("キーワードは300文字以内にしてください。")},
        }

    def __init__(self, *args: Any, municipality: Municipality, departments: frozenset[int] | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = Department.objects.filter(municipality=municipality, is_active=True).order_by("name")
        if departments is not None:
            choices = choices.filter(pk__in=departments)
        self.fields["department"] = forms.ModelChoiceField(
            queryset=choices,
            required=departments is not None,
            label=_("担当課"),
            help_text=_("答えられないとき、住民にこの課の連絡先を案内します。"),
            empty_label=_("（指定しない）") if departments is None else _("（課を選んでください）"),
            error_messages={
                "invalid_choice": _("課を選び直してください。"),
                "required": _("担当している課を選んでください。"),
            },
        )
        self.order_fields(
            [
                "question",
                "phrasings",
                "answer",
                "category",
                "department",
                "keywords",
                "last_reviewed_on",
                "is_published",
                "question_en",
                "answer_en",
            ]
        )


class SynonymForm(forms.ModelForm):
    class Meta:
        model = Synonym
        fields = ["phrases"]
        error_messages = {
            "phrases": {
                "required": _("同じ意味の言葉を2つ以上、読点で区切って入力してください。"),
                "max_length": _("500文字以内にしてください。"),
            }
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSVファイル"),
        help_text=_("UTF-8（BOM付きも可）またはShift_JIS（cp932）。1行目は見出し（question, answer など）。"),
        error_messages={"required": _("CSVファイルを選んでください。"), "empty": _("ファイルが空です。")},
    )


class PhrasingForm(forms.Form):
    faq: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Faq.objects.none(),
        label=_("追加先のFAQ"),
        error_messages={
            "required": _("追加先のFAQを選んでください。"),
            "invalid_choice": _("FAQを選び直してください。"),
        },
    )
    phrasing = forms.CharField(
        label=_("言い換え"),
        max_length=200,
        error_messages={
            "required": _("追加する言い換えを入力してください。"),
            "max_length": _("言い換えは200文字以内にしてください。"),
        },
    )

    def __init__(self, *args: Any, faqs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["faq"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = faqs
        field.to_field_name = "public_id"
