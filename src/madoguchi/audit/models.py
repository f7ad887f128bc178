"""The append-only audit log: who did what to which record, including staff reads of personal data."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events are removed only by the retention task.")


class AuditEvent(models.Model):
    """One audit event. Never updated; deleted only by the retention task once past the retention period.

    Not a MunicipalityOwned model: platform-level events (sign-ins, platform admin actions) have no
    municipality. Reads go through audit.selectors, which always filter by municipality.
    """

    occurred_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the log still says who acted after an account is deleted.
    actor_label = models.CharField(_("操作者"), max_length=254, blank=True)
    municipality = models.ForeignKey(Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("操作"), max_length=80, db_index=True)
    object_type = models.CharField(_("対象の種類"), max_length=80, blank=True)
    object_id = models.CharField(_("対象の公開ID"), max_length=80, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    request_id = models.CharField(_("リクエストID"), max_length=64, blank=True)
    details = models.JSONField(_("詳細"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("監査イベント")
        verbose_name_plural = _("監査イベント")
        indexes = [models.Index(fields=["municipality", "-occurred_at"], name="audit_municipality_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events are removed only by the retention task.")
