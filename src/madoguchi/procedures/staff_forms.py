"""Forms of the staff inbox (申請の受付・審査)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.forms import JapaneseDateField

from .models import Procedure, SubmissionStatus


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("受付番号・メールアドレス"), required=False, max_length=100)
    procedure: forms.ModelChoiceField[Procedure] = forms.ModelChoiceField(
        label=_("手続"), required=False, queryset=Procedure.objects.none(), empty_label=_("すべて")
    )
    status = forms.ChoiceField(
        label=_("状態"),
        required=False,
        choices=[("", _("すべて")), *[c for c in SubmissionStatus.choices if c[0] != SubmissionStatus.DRAFT]],
    )
    assignee = forms.ChoiceField(
        label=_("担当者"), required=False, choices=[("", _("すべて")), ("me", _("自分")), ("none", _("未割り当て"))]
    )
    date_from = JapaneseDateField(label=_("申請日（から）"), required=False, help_text="")
    date_to = JapaneseDateField(label=_("申請日（まで）"), required=False, help_text="")

    def __init__(self, *args: Any, procedures: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = procedures  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("終了日は開始日以降の日付にしてください。"))
        return cleaned


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("新しい状態"), choices=())
    text = forms.CharField(
        label=_("申請者へのお知らせ"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("却下のときは理由を必ず書いてください。申請者にメールで伝わります。"),
    )

    def __init__(self, *args: Any, allowed: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = allowed  # type: ignore[attr-defined]


class CorrectionForm(forms.Form):
    answer_ids = forms.MultipleChoiceField(
        label=_("直してもらう項目"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("直してもらう項目を1つ以上選んでください。")},
    )
    message = forms.CharField(
        label=_("申請者へのメッセージ"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("申請者へのメッセージを入力してください。")},
    )

    def __init__(self, *args: Any, answer_fields: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["answer_ids"].choices = answer_fields  # type: ignore[attr-defined]


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("本文"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("本文を入力してください。")},
    )


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("担当者"), required=False, choices=())

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("（未割り当て）")), *[(str(u.pk), u.display_name) for u in staff]]  # type: ignore[attr-defined]


class ResultForm(forms.Form):
    """A result document to issue (結果の交付): its content is checked by procedures/uploads.py."""

    file = forms.FileField(
        label=_("交付する文書（PDFまたは画像）"),
        help_text=_("申請者がマイページからダウンロードします。画像は向きを直し、位置情報などを取り除いて保存します。"),
        error_messages={
            "required": _("交付するファイルを選択してください。"),
            "empty": _("ファイルが空です。内容のあるファイルを選択してください。"),
            "invalid": _("ファイルを読み取れませんでした。もう一度選択してください。"),
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp,.pdf,.jpg,.jpeg,.png,.webp"}
        ),
    )
