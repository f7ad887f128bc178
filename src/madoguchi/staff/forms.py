from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.forms import EMAIL_MESSAGES
from madoguchi.accounts.models import Role
from madoguchi.core.forms import JapaneseDateField, PhoneNumberField, PostalCodeField
from madoguchi.core.models import Department, Municipality
from madoguchi.core.services import MUNICIPALITY_SETTING_FIELDS


class DepartmentForm(forms.ModelForm):
    phone = PhoneNumberField(label=_("電話番号"), required=False)

    class Meta:
        model = Department
        fields = ["name", "name_en", "slug", "phone", "email", "is_active"]
        help_texts = {"slug": _("URLやデータ連携で使う英字の名前（例：shimin）。英小文字・数字・ハイフン。")}
        error_messages = {
            "name": {"required": _("課名を入力してください。")},
            "slug": {"required": _("識別名を入力してください。")},
        }

    def validate_unique(self) -> None:
        # Uniqueness per municipality is checked by the service against the database constraint.
        return None


def _department_field(municipality: Municipality, required: bool) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Department.objects.filter(municipality=municipality, is_active=True).order_by("name"),
        required=required,
        label=_("課"),
        empty_label=_("（課を選んでください）"),
        help_text=_("担当課職員のときは必ず選んでください。"),
        error_messages={"invalid_choice": _("課を選び直してください。")},
    )


class StaffMemberAddForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), error_messages=EMAIL_MESSAGES)
    family_name = forms.CharField(
        label=_("姓"), max_length=50, error_messages={"required": _("姓を入力してください。")}
    )
    given_name = forms.CharField(label=_("名"), max_length=50, error_messages={"required": _("名を入力してください。")})
    role = forms.ChoiceField(
        label=_("役割"),
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("役割を選んでください。")},
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"] = _department_field(municipality, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # An invalid choice already has its own message; "required" would only repeat it.
        if (
            cleaned.get("role") == Role.DEPARTMENT_STAFF
            and not cleaned.get("department")
            and "department" not in self.errors
        ):
            self.add_error("department", _("担当課職員には課を指定してください。"))
        return cleaned


class StaffMembershipEditForm(forms.Form):
    is_active = forms.BooleanField(label=_("この役割を有効にする"), required=False)

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"] = _department_field(municipality, required=False)


class MunicipalitySettingsForm(forms.ModelForm):
    contact_phone = PhoneNumberField(label=_("電話番号"), required=False)
    website = forms.URLField(
        label=_("ウェブサイト"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _("URLの形式が正しくありません（例：https://www.city.example.jp/）。")},
    )
    postal_code = PostalCodeField(label=_("郵便番号"), required=False)

    class Meta:
        model = Municipality
        fields = list(MUNICIPALITY_SETTING_FIELDS)

    def clean_audit_retention_days(self) -> int:
        from django.conf import settings

        value = self.cleaned_data["audit_retention_days"]
        if value < settings.AUDIT_MIN_RETENTION_DAYS:
            raise forms.ValidationError(
                _("監査ログの保存日数は%(min)s日以上にしてください。") % {"min": settings.AUDIT_MIN_RETENTION_DAYS}
            )
        return value


class AuditSearchForm(forms.Form):
    date_from = JapaneseDateField(label=_("開始日"), required=False, help_text="")
    date_to = JapaneseDateField(label=_("終了日"), required=False, help_text="")
    actor = forms.CharField(label=_("操作者"), required=False, max_length=254)
    action = forms.CharField(label=_("操作"), required=False, max_length=80)
    object_id = forms.CharField(label=_("対象の公開ID"), required=False, max_length=80)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("終了日は開始日以降の日付にしてください。"))
        return cleaned


class ResidentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("氏名・フリガナ・電話番号・メールアドレス"),
        required=False,
        max_length=100,
        help_text=_("2文字以上"),
    )

    def clean_q(self) -> str:
        value = self.cleaned_data["q"].strip()
        if value and len(value) < 2:
            raise forms.ValidationError(_("検索語は2文字以上で入力してください。"))
        return value


class ApiTokenForm(forms.Form):
    """A new API token: a name, the access per permission (none / read / read-write), optional departments and
    an optional last day of validity."""

    name = forms.CharField(
        label=_("名前"),
        max_length=80,
        help_text=_("どのシステムが使うトークンか分かる名前（例：住民記録システム連携）"),
        error_messages={"required": _("名前を入力してください。")},
    )
    expires_on = JapaneseDateField(
        label=_("有効期限（この日まで有効）"),
        required=False,
        help_text=_("空欄なら失効させるまで有効です。例：令和9年3月31日、2027-03-31"),
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any):
        from madoguchi.accounts.permissions import API_TOKEN_PERMISSIONS

        super().__init__(*args, **kwargs)
        self.permission_fields = []
        for permission, label in API_TOKEN_PERMISSIONS:
            key = "scope__" + permission.replace(".", "_")
            self.fields[key] = forms.ChoiceField(
                label=str(label),
                choices=[
                    ("", _("なし")),
                    ("read", _("読み取りのみ（一覧・詳細・書き出し）")),
                    ("write", _("読み書き")),
                ],
                required=False,
                widget=forms.RadioSelect,
                initial="",
            )
            self.permission_fields.append((key, permission))
        self.fields["departments"] = forms.ModelMultipleChoiceField(
            queryset=Department.objects.filter(municipality=municipality, is_active=True).order_by("name"),
            required=False,
            label=_("課で限定する"),
            help_text=_("選ばなければすべての課の申請を扱えます。"),
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": _("課を選び直してください。")},
        )

    def scope_bound_fields(self) -> list[Any]:
        return [self[key] for key, _permission in self.permission_fields]

    def clean_name(self) -> str:
        value = self.cleaned_data["name"].strip()
        if not value or not value.isprintable():
            raise forms.ValidationError(_("名前には改行や制御文字を使わないでください。"))
        return value

    def clean_expires_on(self) -> Any:
        from django.utils import timezone

        value = self.cleaned_data.get("expires_on")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("有効期限は今日以降の日付にしてください。"))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scopes = [f"{permission}:{cleaned[key]}" for key, permission in self.permission_fields if cleaned.get(key)]
        if not scopes and self.permission_fields and not any(key in self.errors for key, _p in self.permission_fields):
            self.add_error(self.permission_fields[0][0], _("トークンに与える権限を1つ以上選んでください。"))
        cleaned["scopes"] = scopes
        return cleaned
