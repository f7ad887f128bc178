from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, MunicipalityOwned, localized


class Importance(models.TextChoices):
    NORMAL = "normal", _("通常")
    IMPORTANT = "important", _("重要")
    EMERGENCY = "emergency", _("緊急")


class Notice(MunicipalityOwned):
    """An announcement on the municipality's home page (お知らせ). Unpublished while published_at is empty."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("タイトル"), max_length=120)
    title_en = models.CharField(_("タイトル（英語）"), max_length=200, blank=True)
    body = models.TextField(_("本文"), max_length=10000)
    body_en = models.TextField(_("本文（英語）"), max_length=10000, blank=True)
    importance = models.CharField(_("重要度"), max_length=20, choices=Importance.choices, default=Importance.NORMAL)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("担当課")
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("お知らせ")
        verbose_name_plural = _("お知らせ")
        indexes = [models.Index(fields=["municipality", "-published_at"], name="notice_published")]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)

    @property
    def display_body(self) -> str:
        return localized(self.body, self.body_en)
