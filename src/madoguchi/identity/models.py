"""OpenID Connect identity providers configured per municipality, and the identities linked to accounts.

A provider (デジタル認証アプリ, GビズID or any OpenID Provider) is configured by one municipality, because the
relying-party registration (client_id, keys, redirect URI) is made by that municipality. A person's linked
identity therefore belongs to that provider configuration: the same My Number card signed in through two
municipalities' registrations yields two ExternalIdentity rows (the app gives each RP its own `sub`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import MunicipalityOwned, localized, slug_validator

from . import crypto
from .validators import validate_endpoint_url


class ProviderKind(models.TextChoices):
    DIGITAL_AUTH_APP = "digital_auth_app", _("デジタル認証アプリ（マイナンバーカード）")
    GBIZ_ID = "gbiz_id", _("GビズID")
    GENERIC = "generic", _("その他のOpenID Connectプロバイダー")


class ClientAuthMethod(models.TextChoices):
    PRIVATE_KEY_JWT = "private_key_jwt", _("private_key_jwt（秘密鍵で署名したJWT）")
    CLIENT_SECRET_BASIC = "client_secret_basic", _("client_secret_basic")
    CLIENT_SECRET_POST = "client_secret_post", _("client_secret_post")


class IdentityLevel(models.TextChoices):
    """What a successful sign-in with the provider proves about the person."""

    MY_NUMBER_CARD = "my_number_card", _("マイナンバーカードによる本人確認")
    BUSINESS_ID = "business_id", _("事業者の本人確認（GビズID）")
    NONE = "none", _("本人確認なし（ログインのみ）")


DEFAULT_SCOPES = "openid name address birthdate"


class IdentityProvider(MunicipalityOwned):
    """One OpenID Provider registration of a municipality: endpoints, client credentials, scopes.

    Secrets (client secret, the relying party's private JWK) are stored encrypted and are never shown again
    once saved; use set_client_secret / set_private_key_jwk to change them.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.CharField(
        _("識別名"), max_length=40, validators=[slug_validator], help_text=_("URLに使います（例：myna）。")
    )
    name = models.CharField(
        _("表示名"),
        max_length=80,
        help_text=_("ログイン画面のボタンに表示します（例：マイナンバーカードでログイン）。"),
    )
    name_en = models.CharField(_("表示名（英語）"), max_length=120, blank=True)
    kind = models.CharField(_("種類"), max_length=20, choices=ProviderKind.choices, default=ProviderKind.GENERIC)
    issuer = models.CharField(_("Issuer（iss）"), max_length=255, validators=[validate_endpoint_url])
    authorization_endpoint = models.CharField(
        _("認可エンドポイント"), max_length=500, validators=[validate_endpoint_url]
    )
    token_endpoint = models.CharField(_("トークンエンドポイント"), max_length=500, validators=[validate_endpoint_url])
    jwks_uri = models.CharField(_("JWKSのURL"), max_length=500, validators=[validate_endpoint_url])
    userinfo_endpoint = models.CharField(
        _("UserInfoエンドポイント"),
        max_length=500,
        blank=True,
        validators=[validate_endpoint_url],
        help_text=_("設定すると、ログイン時に利用者情報を取得します。"),
    )
    client_id = models.CharField(_("クライアントID"), max_length=255)
    client_auth_method = models.CharField(
        _("クライアント認証方式"),
        max_length=30,
        choices=ClientAuthMethod.choices,
        default=ClientAuthMethod.PRIVATE_KEY_JWT,
    )
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    private_key_jwk_encrypted = models.TextField(blank=True, editable=False)
    scopes = models.CharField(
        _("スコープ"),
        max_length=255,
        default=DEFAULT_SCOPES,
        help_text=_("空白区切り。openid は必須です。基本4情報は name address birthdate gender です。"),
    )
    identity_level = models.CharField(
        _("本人確認の水準"), max_length=20, choices=IdentityLevel.choices, default=IdentityLevel.NONE
    )
    is_enabled = models.BooleanField(_("有効"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("IDプロバイダー")
        verbose_name_plural = _("IDプロバイダー")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "slug"], name="identity_provider_slug_unique_per_municipality"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ProviderKind.values), name="identity_provider_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(client_auth_method__in=ClientAuthMethod.values),
                name="identity_provider_client_auth_method_valid",
            ),
            # デジタル認証アプリ accepts only private_key_jwt at its token endpoint.
            models.CheckConstraint(
                condition=~models.Q(kind=ProviderKind.DIGITAL_AUTH_APP)
                | models.Q(client_auth_method=ClientAuthMethod.PRIVATE_KEY_JWT),
                name="identity_provider_digital_auth_app_uses_private_key_jwt",
            ),
            models.CheckConstraint(
                condition=models.Q(scopes__contains="openid"), name="identity_provider_scopes_include_openid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    # --- secrets (write-only from the outside) ------------------------------------------------------------

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_jwk_encrypted)

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_encrypted = crypto.encrypt(secret)

    def get_client_secret(self) -> str:
        return crypto.decrypt(self.client_secret_encrypted)

    def set_private_key_jwk(self, jwk: dict[str, Any] | None) -> None:
        self.private_key_jwk_encrypted = crypto.encrypt(json.dumps(jwk, separators=(",", ":"))) if jwk else ""

    def get_private_key_jwk(self) -> dict[str, Any] | None:
        raw = crypto.decrypt(self.private_key_jwk_encrypted)
        return json.loads(raw) if raw else None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[Any]] = {}
        if "openid" not in self.scope_list:
            errors.setdefault("scopes", []).append(_("スコープに openid を含めてください。"))
        if self.kind == ProviderKind.DIGITAL_AUTH_APP and self.client_auth_method != ClientAuthMethod.PRIVATE_KEY_JWT:
            errors.setdefault("client_auth_method", []).append(
                _("デジタル認証アプリのクライアント認証方式は private_key_jwt です。")
            )
        if self.client_auth_method == ClientAuthMethod.PRIVATE_KEY_JWT and not self.has_private_key:
            errors.setdefault("client_auth_method", []).append(_("private_key_jwt には秘密鍵（JWK）の登録が必要です。"))
        if self.client_auth_method != ClientAuthMethod.PRIVATE_KEY_JWT and not self.has_client_secret:
            errors.setdefault("client_auth_method", []).append(
                _("この認証方式にはクライアントシークレットが必要です。")
            )
        if errors:
            raise ValidationError(errors)


class ExternalIdentity(MunicipalityOwned):
    """An account's link to one subject (`sub`) at one provider configuration.

    Only what is needed to recognise the person again is kept: the subject, which claims the provider vouched
    for (their names, never their values) and when. The values go to the person's Profile, where they can see
    and correct them.
    """

    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = ("subject", "verified_claims")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("利用者"),
    )
    provider = models.ForeignKey(
        IdentityProvider,
        on_delete=models.PROTECT,
        related_name="identities",
        verbose_name=_("IDプロバイダー"),
    )
    subject = models.CharField(_("識別子（sub）"), max_length=255)
    identity_level = models.CharField(_("本人確認の水準"), max_length=20, choices=IdentityLevel.choices)
    # {"claims": ["address", "birthdate", "name"], "acr": "..."}: claim names only, never values.
    verified_claims = models.JSONField(_("確認された属性"), default=dict, blank=True)
    first_login_at = models.DateTimeField(_("初回ログイン日時"))
    last_login_at = models.DateTimeField(_("最終ログイン日時"))

    class Meta:
        verbose_name = _("外部ID連携")
        verbose_name_plural = _("外部ID連携")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="external_identity_subject_unique_per_provider"
            ),
            models.UniqueConstraint(fields=["provider", "user"], name="external_identity_one_per_user_and_provider"),
            models.CheckConstraint(condition=~models.Q(subject=""), name="external_identity_subject_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.user_id}"

    def clean(self) -> None:
        super().clean()
        if self.provider_id and self.municipality_id and self.provider.municipality_id != self.municipality_id:
            raise ValidationError({"provider": _("この自治体のIDプロバイダーを選んでください。")})
