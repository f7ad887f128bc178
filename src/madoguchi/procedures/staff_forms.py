"""Forms of the staff inbox (申請の受付・審査)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.core.forms import JapaneseDateField

from .models import Procedure, SubmissionStatus


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        max_length=100,
        help_text=_(
            "受付番号、氏名、フリガナ、住所、電話番号、メールアドレスなど。スペースで区切るとすべてを含む申請を探します。"
        ),
    )
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
    # Only the export reads it (the list ignores it): CSV for Excel and most imports, JSON for programs.
    format = forms.ChoiceField(
        label=_("書き出す形式"),
        required=False,
        choices=[("csv", _("CSV（Excel向け、UTF-8）")), ("json", _("JSON（システム連携向け）"))],
        initial="csv",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("CSVかJSONを選んでください。")},
    )

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


BULK_MAX = 100


class BulkAction:
    ACCEPT = "accept"
    IN_REVIEW = "in_review"
    ASSIGN_ME = "assign_me"
    UNASSIGN = "unassign"


class BulkActionForm(forms.Form):
    """Several applications at once from the inbox: the same action as on each application's page."""

    action = forms.ChoiceField(
        label=_("選んだ申請をまとめて"),
        choices=[
            ("", _("操作を選んでください")),
            (BulkAction.ACCEPT, _("受付にする")),
            (BulkAction.IN_REVIEW, _("審査中にする")),
            (BulkAction.ASSIGN_ME, _("自分を担当者にする")),
            (BulkAction.UNASSIGN, _("担当者を外す")),
        ],
        error_messages={
            "required": _("まとめて行う操作を選んでください。"),
            "invalid_choice": _("この操作は選べません。一覧の中から操作を選んでください。"),
        },
    )
    selected = forms.TypedMultipleChoiceField(
        label=_("申請"),
        choices=(),
        error_messages={
            "required": _("まとめて操作する申請を1件以上選んでください。"),
            "invalid_choice": _("選んだ申請が見つかりません。一覧を開き直してください。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Any well-formed id is a valid choice here; whether this person may act on it is the selector's job.
        self.fields["selected"].valid_value = self._valid_id  # type: ignore[attr-defined]

    @staticmethod
    def _valid_id(value: Any) -> bool:
        import uuid

        try:
            uuid.UUID(str(value))
        except ValueError:
            return False
        return True

    def clean_selected(self) -> list[str]:
        chosen = list(dict.fromkeys(self.cleaned_data["selected"]))
        if len(chosen) > BULK_MAX:
            raise forms.ValidationError(
                _("一度に操作できるのは%(max)s件までです。") % {"max": BULK_MAX}, code="too_many"
            )
        return chosen


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


class ExportColumnsForm(forms.Form):
    """Which columns the export has and in what order: a number per column (1 = first), blank = left out;
    every column blank = every column, in the standard order."""

    def __init__(self, *args: Any, columns: list[Any], current: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.position_names: list[tuple[str, str]] = []
        for index, column in enumerate(columns):
            name = f"col_{index}"
            self.fields[name] = forms.IntegerField(
                label=column.label,
                required=False,
                min_value=1,
                max_value=len(columns),
                help_text=_("列名：%(key)s") % {"key": column.key},
                initial=current.index(column.key) + 1 if column.key in current else None,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "invalid": _("順番は数字で入力してください。"),
                    "min_value": _("順番は1以上にしてください。"),
                    "max_value": _("順番は%(limit_value)s以下にしてください。"),
                },
            )
            self.position_names.append((name, column.key))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        taken: dict[int, str] = {}
        chosen: list[tuple[int, int, str]] = []
        for index, (name, key) in enumerate(self.position_names):
            position = cleaned.get(name)
            if position is None:
                continue
            if position in taken:
                self.add_error(
                    name,
                    _("%(position)s番は「%(other)s」にも付いています。別の番号にしてください。")
                    % {"position": position, "other": taken[position]},
                )
                continue
            taken[position] = str(self.fields[name].label)
            chosen.append((position, index, key))
        cleaned["columns"] = [key for _position, _index, key in sorted(chosen)]
        return cleaned
