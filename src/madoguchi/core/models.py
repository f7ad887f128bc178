"""The tenant (Municipality) and what every municipality-owned model shares."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .validators import validate_local_government_code


def localized(japanese: str, english: str) -> str:
    """The English text when English is active and there is one; otherwise the Japanese (the source)."""
    return english if english and (get_language() or "ja").startswith("en") else japanese


slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,39}$", _("英小文字で始まる、英小文字・数字・ハイフンの2〜40文字にしてください。")
)

# First URL segments the platform itself uses; a municipality slug may not take one of them.
RESERVED_SLUGS = frozenset(
    {
        "accounts",
        "admin",
        "api",
        "static",
        "media",
        "healthz",
        "readyz",
        "i18n",
        "favicon.ico",
        "robots.txt",
        "staff",
        "auth",
        "payments",
        "dataset",  # the open data catalogue's DCAT paths /dataset/<name>.jsonld|.ttl
    }
)


def validate_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("「%(slug)s」はシステムで使われているため、URL名にできません。") % {"slug": value}, code="reserved"
        )


class Municipality(models.Model):
    """A 市町村 hosted on this deployment. The tenant: every resident-submitted row belongs to one."""

    code = models.CharField(
        _("全国地方公共団体コード"), max_length=6, unique=True, validators=[validate_local_government_code]
    )
    name = models.CharField(_("名称"), max_length=50)
    name_kana = models.CharField(_("名称（かな）"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=100)
    prefecture = models.CharField(_("都道府県"), max_length=10)
    prefecture_en = models.CharField(_("都道府県（英語）"), max_length=30, blank=True)
    slug = models.CharField(_("URL名"), max_length=40, unique=True, validators=[slug_validator, validate_not_reserved])
    receipt_prefix = models.CharField(
        _("受付番号の接頭辞"),
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,4}$", _("英大文字2〜4文字にしてください。"))],
    )
    contact_department = models.CharField(_("問い合わせ先"), max_length=100, blank=True)
    contact_phone = models.CharField(_("電話番号"), max_length=11, blank=True)
    contact_email = models.EmailField(_("メールアドレス"), blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    address_en = models.CharField(_("所在地（英語）"), max_length=200, blank=True)
    website = models.URLField(_("ウェブサイト"), blank=True)
    office_hours = models.CharField(_("開庁時間"), max_length=200, blank=True)
    office_hours_en = models.CharField(_("開庁時間（英語）"), max_length=200, blank=True)
    audit_retention_days = models.PositiveIntegerField(
        _("監査ログの保存日数"), default=365 * 5, help_text=_("365日以上。これを過ぎた監査ログは自動で削除されます。")
    )
    is_active = models.BooleanField(_("公開中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{6}$"), name="municipality_code_six_digits"),
            models.CheckConstraint(
                condition=models.Q(audit_retention_days__gte=settings.AUDIT_MIN_RETENTION_DAYS),
                name="municipality_audit_retention_at_least_min",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the active language (English falls back to Japanese when not set)."""
        return localized(self.name, self.name_en)

    @property
    def display_prefecture(self) -> str:
        return localized(self.prefecture, self.prefecture_en)


class MunicipalityHost(models.Model):
    """A custom host name (e.g. madoguchi.city.nanto.toyama.jp) that serves one municipality."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(_("ホスト名"), max_length=253)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("host"), name="municipality_host_unique")]

    def __str__(self) -> str:
        return self.host

    def save(self, *args: Any, **kwargs: Any) -> None:
        previous = (
            MunicipalityHost.objects.filter(pk=self.pk).values_list("host", flat=True).first() if self.pk else None
        )
        super().save(*args, **kwargs)
        self.forget_cached_lookup(self.host, previous)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        self.forget_cached_lookup(self.host)
        return result

    @staticmethod
    def forget_cached_lookup(*hosts: str | None) -> None:
        """Drop cached host→municipality answers (tenancy.municipality_for_host) for these names."""
        from django.core.cache import cache

        from .tenancy import forget_host_memo

        names = [host for host in hosts if host]
        cache.delete_many([f"madoguchi:host:{host.lower()}" for host in names])
        forget_host_memo(*names)


class MunicipalityOwned(models.Model):
    """Base of every model a municipality owns.

    The default manager is scoped (django-scopes): a query without an active municipality scope raises
    ScopeError instead of silently returning every municipality's rows.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, verbose_name=_("自治体"))

    objects = ScopedManager(municipality="municipality")

    class Meta:
        abstract = True


class Department(MunicipalityOwned):
    """A 課 (department) of a municipality: owns procedures, receives submissions, scopes staff roles."""

    slug = models.CharField(_("識別名"), max_length=40, validators=[slug_validator])
    name = models.CharField(_("課名"), max_length=60)
    name_en = models.CharField(_("英語名"), max_length=100, blank=True)
    phone = models.CharField(_("電話番号"), max_length=11, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("課")
        verbose_name_plural = _("課")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="department_slug_unique_per_municipality"),
            models.UniqueConstraint(fields=["municipality", "name"], name="department_name_unique_per_municipality"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


class ModuleActivation(MunicipalityOwned):
    """Whether a registered module is switched on for a municipality, with its settings."""

    module_key = models.CharField(max_length=40)
    enabled = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "module_key"], name="module_activation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}:{self.module_key}={self.enabled}"


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an Idempotency-Key; replays get it back unchanged.

    Keyed by (scope, key): scope names the caller (user or client) and endpoint, so one client's key can
    never return another's result.
    """

    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    request_fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_per_scope")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class RateCounter(models.Model):
    """Uses of one rate-limit key in its current fixed window, when no Redis is configured.

    One upsert per use (see core.ratelimit.hit): the database cache would cost five queries and a table-wide
    COUNT(*) per use, and local memory would count per process. Rows of ended windows are pruned daily.
    """

    bucket_key = models.CharField(max_length=200, primary_key=True)
    window_start = models.BigIntegerField()  # Unix seconds, a multiple of the window length
    uses = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window_idx")]

    def __str__(self) -> str:
        return f"{self.bucket_key}@{self.window_start}={self.uses}"


class ApiToken(MunicipalityOwned):
    """A credential for another system (基幹系, scripts) to call the staff API of one municipality.

    Only the SHA-256 digest of the secret is stored; the secret is shown once, when the token is created. The
    visible prefix lets staff recognise a token in lists and logs. `scopes` holds "<permission>:read" or
    "<permission>:write" entries (write includes read); `departments` empty means every department.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名前"), max_length=80)
    prefix = models.CharField(_("トークンの先頭"), max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("権限"), default=list)
    departments = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name=_("課"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set before full_clean() (not auto_now_add), so the expiry constraint is checked in Python as well.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("失効日時"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_token_name_unique_while_active",
            ),
            models.CheckConstraint(condition=models.Q(digest__regex=r"^[0-9a-f]{64}$"), name="api_token_digest_sha256"),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"api-token:{self.name}"
