"""Platform-wide accounts (one login per person, as with national e-services) and per-municipality roles."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, Municipality, MunicipalityOwned


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, email_verified_at=timezone.now())
        return self.create_user(email, password, **fields)


class Language(models.TextChoices):
    JA = "ja", _("日本語")
    EN = "en", _("English")


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Residents and staff share the model; staff differ only by memberships (and MFA).

    is_superuser marks a platform admin (the operator of the deployment), the only role with Django admin.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("メールアドレス"), max_length=254, unique=True)
    email_verified_at = models.DateTimeField(_("メールアドレス確認日時"), null=True, blank=True)
    preferred_language = models.CharField(_("表示言語"), max_length=8, choices=Language.choices, default=Language.JA)
    is_active = models.BooleanField(_("有効"), default=True)
    is_staff = models.BooleanField(_("Django管理画面"), default=False)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_case_insensitive"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.is_superuser and self.is_active)

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        if profile is not None and (profile.family_name or profile.given_name):
            return f"{profile.family_name} {profile.given_name}".strip()
        return self.email


class Profile(models.Model):
    """A person's own details, used to prefill forms so nobody is asked twice (書かない).

    Every field here is personal data: PERSONAL_DATA_FIELDS drives audit logging of staff reads, exports
    and retention.
    """

    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = (
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
    )

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    family_name = models.CharField(_("姓"), max_length=50, blank=True)
    given_name = models.CharField(_("名"), max_length=50, blank=True)
    family_name_kana = models.CharField(_("セイ"), max_length=100, blank=True)
    given_name_kana = models.CharField(_("メイ"), max_length=100, blank=True)
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    city = models.CharField(_("市区町村"), max_length=50, blank=True)
    town = models.CharField(_("町字"), max_length=100, blank=True)
    street = models.CharField(_("番地以下"), max_length=100, blank=True)
    building = models.CharField(_("建物名等（方書）"), max_length=100, blank=True)
    phone = models.CharField(_("電話番号"), max_length=11, blank=True)
    home_municipality = models.ForeignKey(
        Municipality,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("お住まいの自治体"),
    )
    notify_by_email = models.BooleanField(_("メールで通知を受け取る"), default=True)
    notify_by_line = models.BooleanField(_("LINEで通知を受け取る"), default=False)
    notify_by_web_push = models.BooleanField(_("ブラウザのプッシュ通知を受け取る"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("プロフィール")
        verbose_name_plural = _("プロフィール")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(postal_code="") | models.Q(postal_code__regex=r"^[0-9]{7}$"),
                name="profile_postal_code_seven_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=r"^0[0-9]{9,10}$"),
                name="profile_phone_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user_id}"

    @property
    def full_name(self) -> str:
        return f"{self.family_name}\u3000{self.given_name}".strip("\u3000")

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana}\u3000{self.given_name_kana}".strip("\u3000")


class Role(models.TextChoices):
    MUNICIPALITY_ADMIN = "municipality_admin", _("自治体管理者（DX推進担当）")
    DEPARTMENT_STAFF = "department_staff", _("担当課職員")
    COUNTER_STAFF = "counter_staff", _("窓口職員")
    AUDITOR = "auditor", _("監査担当（閲覧のみ）")


class StaffMembership(MunicipalityOwned):
    """A staff role of one person in one municipality. Department staff belong to one 課."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("役割"), max_length=30, choices=Role.choices)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("課")
    )
    is_active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("職員の役割")
        verbose_name_plural = _("職員の役割")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user", "role"], name="staff_membership_one_role_per_person"
            ),
            models.CheckConstraint(
                condition=~models.Q(role="department_staff") | models.Q(department__isnull=False),
                name="staff_membership_department_staff_has_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.municipality_id}:{self.role}"


class TOTPDevice(models.Model):
    """A staff member's authenticator app (RFC 6238). The secret is stored encrypted."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    encrypted_secret = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is never accepted twice (replay within its 30 s window).
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    """One-time recovery codes for a lost authenticator; only a SHA-256 digest is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_digest"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"Recovery code of {self.user_id}"
