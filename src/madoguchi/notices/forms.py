from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, Municipality

from .models import Notice


class NoticeForm(forms.ModelForm):
    publish = forms.BooleanField(
        label=_("公開する"), required=False, help_text=_("チェックを外すと下書きとして保存します。")
    )

    class Meta:
        model = Notice
        fields = ["title", "title_en", "body", "body_en", "importance"]
        widgets = {"importance": forms.RadioSelect}
        error_messages = {
            "title": {
                "required": _("タイトルを入力してください。"),
                "max_length": _("タイトルは120文字以内にしてください。"),
            },
            "body": {
                "required": _("本文を入力してください。"),
                "max_length": _("本文は10,000文字以内にしてください。"),
            },
        }

    def __init__(self, *args: Any, municipality: Municipality, departments: frozenset[int] | None, **kwargs: Any):
        """`departments`: the 課 the author manages (None: any, and the department is optional)."""
        super().__init__(*args, **kwargs)
        choices = Department.objects.filter(municipality=municipality, is_active=True).order_by("name")
        if departments is not None:
            choices = choices.filter(pk__in=departments)
        self.fields["department"] = forms.ModelChoiceField(
            queryset=choices,
            required=departments is not None,
            label=_("担当課"),
            empty_label=_("（指定しない）") if departments is None else _("（課を選んでください）"),
            error_messages={
                "invalid_choice": _("課を選び直してください。"),
                "required": _("担当している課を選んでください。"),
            },
        )
        self.order_fields(["title", "body", "importance", "department", "title_en", "body_en", "publish"])
