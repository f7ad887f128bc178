"""Provider configuration for platform admins (Django admin runs unscoped). Secrets are write-only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from madoguchi.core.errors import ServiceError

from . import oidc, services
from .forms import IdentityProviderAdminForm
from .models import ExternalIdentity, IdentityProvider


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderAdminForm
    list_display = (
        "name",
        "municipality",
        "slug",
        "kind",
        "client_auth_method",
        "identity_level",
        "is_enabled",
    )
    list_filter = ("municipality", "kind", "is_enabled")
    search_fields = ("name", "slug", "client_id")
    readonly_fields = ("secrets_state", "redirect_uri_path", "public_key")
    actions = ["apply_discovery"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "municipality",
                    "slug",
                    "name",
                    "name_en",
                    "kind",
                    "identity_level",
                    "is_enabled",
                    "sort_order",
                )
            },
        ),
        (
            _("エンドポイント"),
            {
                "fields": (
                    "issuer",
                    "authorization_endpoint",
                    "token_endpoint",
                    "jwks_uri",
                    "userinfo_endpoint",
                )
            },
        ),
        (
            _("クライアント"),
            {
                "fields": (
                    "client_id",
                    "client_auth_method",
                    "scopes",
                    "redirect_uri_path",
                    "secrets_state",
                    "client_secret",
                    "private_key_jwk",
                    "generate_private_key",
                    "public_key",
                )
            },
        ),
    )

    @admin.display(description=_("登録済みの秘密情報"))
    def secrets_state(self, obj: IdentityProvider) -> str:
        parts = []
        parts.append(
            str(_("クライアントシークレット：あり"))
            if obj.has_client_secret
            else str(_("クライアントシークレット：なし"))
        )
        parts.append(str(_("秘密鍵：あり")) if obj.has_private_key else str(_("秘密鍵：なし")))
        return " / ".join(parts)

    @admin.display(description=_("リダイレクトURI（このパスを登録）"))
    def redirect_uri_path(self, obj: IdentityProvider) -> str:
        if not obj.pk:
            return "—"
        return services.callback_path(obj)

    @admin.display(description=_("公開鍵（IDプロバイダーに登録）"))
    def public_key(self, obj: IdentityProvider) -> str:
        if not obj.has_private_key:
            return "—"
        jwk = obj.get_private_key_jwk()
        url = reverse(
            "identity:oidc_rp_jwks",
            kwargs={"municipality_slug": obj.municipality.slug, "provider_slug": obj.slug},
        )
        return format_html("<pre>{}</pre><p>{}</p>", json.dumps(oidc.public_jwk(jwk or {}), indent=2), url)

    @admin.action(description=_("ディスカバリー文書からエンドポイントを更新する"))
    def apply_discovery(self, request: HttpRequest, queryset: Any) -> None:
        for provider in queryset.select_related("municipality"):
            try:
                changed = services.identity_provider_apply_discovery(
                    provider=provider, actor=request.user, request=request
                )
            except ServiceError as error:
                self.message_user(request, f"{provider}: {error.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"{provider}: {', '.join(changed) or '-'}", level=messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: IdentityProvider, form: Any, change: bool) -> None:
        services.identity_provider_save(
            provider=obj,
            actor=request.user,
            changed_fields=list(form.changed_data),
            secrets_changed=list(getattr(form, "secrets_changed", [])),
            request=request,
        )


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Read-only; deleting a link (e.g. for a resident who lost access) is the one change allowed."""

    list_display = ("user", "provider", "municipality", "identity_level", "first_login_at", "last_login_at")
    list_filter = ("municipality", "provider__kind")
    search_fields = ("user__email",)
    fields = ("user", "provider", "municipality", "identity_level", "first_login_at", "last_login_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
