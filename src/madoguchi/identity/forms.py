"""Forms of the first-time registration (e-mail address, then its confirmation code) and the admin form."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import oidc
from .models import IdentityProvider


class RegistrationEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_("確認コードを送ります。申請の受付や結果のお知らせにも使います。"),
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません（例：taro@example.jp）。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "spellcheck": "false"})


class RegistrationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=20,
        help_text=_("メールに記載された6桁の数字です。"),
        error_messages={"required": _("確認コードを入力してください。")},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        )


class IdentityProviderAdminForm(forms.ModelForm):
    """Secrets are write-only: the fields start empty, and an empty field keeps the stored value."""

    client_secret = forms.CharField(
        label=_("クライアントシークレット"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("client_secret_basic / client_secret_post で使います。変更するときだけ入力してください。"),
    )
    private_key_jwk = forms.CharField(
        label=_("秘密鍵（JWK形式のJSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("private_key_jwt で使うRSAまたはECの秘密鍵。変更するときだけ入力してください。"),
    )
    generate_private_key = forms.BooleanField(
        label=_("新しい鍵ペアを生成する（RSA 2048ビット、RS256）"),
        required=False,
        help_text=_("保存後に表示される公開鍵を、IDプロバイダーに登録してください。"),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "municipality",
            "slug",
            "name",
            "name_en",
            "kind",
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "userinfo_endpoint",
            "client_id",
            "client_auth_method",
            "scopes",
            "identity_level",
            "is_enabled",
            "sort_order",
        ]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.secrets_changed: list[str] = []

    def clean_private_key_jwk(self) -> dict[str, Any] | None:
        raw = self.cleaned_data.get("private_key_jwk", "").strip()
        if not raw:
            return None
        try:
            data = json.loads(raw)
            oidc.load_private_jwk(data)
        except (ValueError, TypeError, KeyError) as exc:
            raise forms.ValidationError(_("RSAまたはECの秘密鍵をJWK形式（JSON）で入力してください。")) from exc
        except Exception as exc:  # joserfc raises its own errors for malformed keys
            raise forms.ValidationError(_("RSAまたはECの秘密鍵をJWK形式（JSON）で入力してください。")) from exc
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Set secrets on the instance now, so the model validation that follows sees them.
        if cleaned.get("client_secret"):
            self.instance.set_client_secret(cleaned["client_secret"])
            self.secrets_changed.append("client_secret")
        if cleaned.get("generate_private_key"):
            from joserfc.jwk import RSAKey

            key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"})
            key.ensure_kid()
            self.instance.set_private_key_jwk(dict(key.as_dict(private=True)))
            self.secrets_changed.append("private_key_jwk")
        elif cleaned.get("private_key_jwk"):
            self.instance.set_private_key_jwk(cleaned["private_key_jwk"])
            self.secrets_changed.append("private_key_jwk")
        return cleaned
