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
