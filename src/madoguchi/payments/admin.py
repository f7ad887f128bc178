"""Merchant accounts for platform admins (Django admin runs unscoped). Secrets are write-only; saves go
through payment_account_save and are audited. Payments themselves are read-only here: they change only
through their services (staff screens, returns, webhooks)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .adapters import ADAPTERS
from .models import Payment, PaymentAccount
from .services import payment_account_save


class PaymentAccountAdminForm(forms.ModelForm):
    adapter = forms.ChoiceField(label=_("決済代行"), choices=())
    api_key = forms.CharField(
        label=_("APIキー"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("決済代行から発行されたシークレットキー。変更するときだけ入力してください。"),
    )
    webhook_secret = forms.CharField(
        label=_("Webhookの署名シークレット"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Webhookの署名の検証に使います。変更するときだけ入力してください。"),
    )

    class Meta:
        model = PaymentAccount
        fields = ["municipality", "adapter", "merchant_id", "is_enabled"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["adapter"].choices = [  # type: ignore[attr-defined]
            (key, str(adapter.label)) for key, adapter in ADAPTERS.items() if adapter.needs_account
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.instance.api_key_encrypted and not cleaned.get("api_key"):
            self.add_error("api_key", _("APIキーとWebhookの署名シークレットを入力してください。"))
        if not self.instance.webhook_secret_encrypted and not cleaned.get("webhook_secret"):
            self.add_error("webhook_secret", _("APIキーとWebhookの署名シークレットを入力してください。"))
        return cleaned


@admin.register(PaymentAccount)
class PaymentAccountAdmin(admin.ModelAdmin):
    form = PaymentAccountAdminForm
    list_display = ("municipality", "adapter", "merchant_id", "is_enabled")
    list_filter = ("adapter", "is_enabled")
    search_fields = ("merchant_id",)
    readonly_fields = ("secrets_state", "webhook_path")

    @admin.display(description=_("登録済みの秘密情報"))
    def secrets_state(self, obj: PaymentAccount) -> str:
        api = _("APIキー：あり") if obj.api_key_encrypted else _("APIキー：なし")
        hook = _("署名シークレット：あり") if obj.webhook_secret_encrypted else _("署名シークレット：なし")
        return f"{api} / {hook}"

    @admin.display(description=_("WebhookのURL（このパスを決済代行に登録）"))
    def webhook_path(self, obj: PaymentAccount) -> str:
        if not obj.pk:
            return "—"
        return reverse("payments_webhook", kwargs={"adapter_key": obj.adapter, "account_id": obj.public_id})

    def save_model(self, request: HttpRequest, obj: PaymentAccount, form: Any, change: bool) -> None:
        saved = payment_account_save(
            municipality=obj.municipality,
            adapter_key=form.cleaned_data["adapter"],
            merchant_id=form.cleaned_data["merchant_id"],
            api_key=form.cleaned_data.get("api_key", ""),
            webhook_secret=form.cleaned_data.get("webhook_secret", ""),
            is_enabled=form.cleaned_data["is_enabled"],
            actor=request.user,
            request=request,
        )
        obj.pk = saved.pk


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "municipality", "purpose", "amount", "method", "status", "receipt_number")
    list_filter = ("municipality", "method", "status")
    search_fields = ("receipt_number", "provider_reference", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
