from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from madoguchi.core.forms import JapaneseDateField, KatakanaField, PhoneNumberField, PostalCodeField

from .models import Language, Profile

EMAIL_MESSAGES = {
    "required": _("メールアドレスを入力してください。"),
    "invalid": _("メールアドレスの形式が正しくありません（例：taro@example.jp）。"),
}


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254, error_messages=EMAIL_MESSAGES)
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("パスワードを入力してください。")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_("確認のメールを送ります。ログインにも使います。"),
        error_messages=EMAIL_MESSAGES,
    )
    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("10文字以上。よく使われるパスワードや数字だけのものは使えません。"),
        error_messages={"required": _("パスワードを入力してください。")},
    )
    password2 = forms.CharField(
        label=_("パスワード（確認）"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("確認のため、同じパスワードをもう一度入力してください。")},
    )
    preferred_language = forms.ChoiceField(
        label=_("表示言語"), choices=Language.choices, initial=Language.JA, widget=forms.RadioSelect
    )
    agree_terms = forms.BooleanField(
        label=_("利用規約と個人情報の取扱いに同意します"),
        error_messages={"required": _("登録には利用規約と個人情報の取扱いへの同意が必要です。")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("確認用のパスワードが一致しません。同じパスワードを入力してください。"))
        elif password1:
            try:
                password_validation.validate_password(password1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class MfaCodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        help_text=_("認証アプリに表示されている6桁の数字。アプリが使えないときはリカバリーコードを入力します。"),
        error_messages={"required": _("確認コードを入力してください。")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"autocomplete": "one-time-code", "inputmode": "text"})


class MfaEnrolForm(MfaCodeForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("認証アプリに表示されている6桁の数字")
        self.fields["code"].widget.attrs["inputmode"] = "numeric"


class ProfileForm(forms.ModelForm):
    family_name_kana = KatakanaField(label=_("セイ（フリガナ）"), max_length=100, required=False)
    given_name_kana = KatakanaField(label=_("メイ（フリガナ）"), max_length=100, required=False)
    birth_date = JapaneseDateField(label=_("生年月日"), required=False)
    postal_code = PostalCodeField(label=_("郵便番号"), required=False, help_text=_("7桁（例：939-1692）"))
    phone = PhoneNumberField(label=_("電話番号"), required=False, help_text=_("例：0763-23-2000、09012345678"))

    class Meta:
        model = Profile
        fields = [
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "birth_date",
            "postal_code",
            "prefecture",
            "city",
            "town",
            "street",
            "building",
            "phone",
            "notify_by_email",
            "notify_by_line",
            "notify_by_web_push",
        ]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        autocomplete = {
            "family_name": "family-name",
            "given_name": "given-name",
            "prefecture": "address-level1",
            "city": "address-level2",
            "town": "address-line1",
            "street": "address-line2",
            "building": "address-line3",
            "birth_date": "bday",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["family_name"].label = _("姓")
        self.fields["given_name"].label = _("名")
        self.fields["street"].help_text = _("例：1番地1")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        from django.utils import timezone

        birth_date = cleaned.get("birth_date")
        if birth_date and birth_date > timezone.localdate():
            self.add_error("birth_date", _("生年月日に未来の日付は入力できません。"))
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)


class MadoguchiPasswordResetForm(PasswordResetForm):
    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Through the task queue like every other e-mail (one recipient, retried by the worker)."""
        from django.db import transaction
        from django.template.loader import render_to_string

        from madoguchi.core.email import send_email_task

        subject = " ".join(render_to_string(subject_template_name, context).split())
        body = render_to_string(email_template_name, context)
        transaction.on_commit(lambda: send_email_task.enqueue(to=to_email, subject=subject, body=body))

    def get_users(self, email: str) -> Iterator[Any]:
        """Active accounts with this address, including those that never set a password (invited staff,
        residents who signed up through an identity provider): the e-mailed link proves the address."""
        from .models import User

        return User.objects.filter(email__iexact=email.strip(), is_active=True).iterator()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("登録したメールアドレス")
        self.fields["email"].error_messages.update(EMAIL_MESSAGES)


class MadoguchiSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新しいパスワード")
        self.fields["new_password1"].help_text = _("10文字以上。よく使われるパスワードや数字だけのものは使えません。")
        self.fields["new_password2"].label = _("新しいパスワード（確認）")
        for name in ("new_password1", "new_password2"):
            self.fields[name].error_messages["required"] = _("パスワードを入力してください。")
        self.error_messages["password_mismatch"] = _(
            "確認用のパスワードが一致しません。同じパスワードを入力してください。"
        )
