from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.permissions import department_scope
from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Municipality

from .models import Notice

EDITABLE_FIELDS = ("title", "title_en", "body", "body_en", "importance", "department")


def _check_department(municipality: Municipality, actor: Any, data: dict[str, Any]) -> None:
    """The department must be this municipality's, and one the actor manages (department staff post for their
    own 課 only; admins for any or none)."""
    department = data.get("department")
    if department is not None and department.municipality_id != municipality.pk:
        raise ServiceError("department_invalid", _("課を選び直してください。"), field="department")
    allowed = department_scope(actor, municipality)
    if allowed is not None and (department is None or department.pk not in allowed):
        raise ServiceError("department_not_yours", _("担当している課を選んでください。"), field="department")


@transaction.atomic
def notice_create(
    *, municipality: Municipality, actor: Any, data: dict[str, Any], publish: bool, request: HttpRequest | None
) -> Notice:
    _check_department(municipality, actor, data)
    notice = Notice(
        municipality=municipality, created_by=actor, **{k: data.get(k) for k in EDITABLE_FIELDS if k in data}
    )
    if publish:
        notice.published_at = timezone.now()
    full_clean_or_refuse(notice)
    notice.save()
    audit_record(
        action="notice.created",
        actor=actor,
        municipality=municipality,
        object_type="notice",
        object_id=str(notice.public_id),
        request=request,
        details={"published": publish},
    )
    return notice


@transaction.atomic
def notice_update(
    *, notice: Notice, actor: Any, data: dict[str, Any], publish: bool, request: HttpRequest | None
) -> Notice:
    _check_department(notice.municipality, actor, data)
    changed = sorted(k for k in EDITABLE_FIELDS if k in data and getattr(notice, k) != data[k])
    for key in changed:
        setattr(notice, key, data[key])
    was_published = notice.published_at is not None
    if publish and not was_published:
        notice.published_at = timezone.now()
        changed.append("published_at")
    elif not publish and was_published:
        notice.published_at = None
        changed.append("published_at")
    full_clean_or_refuse(notice)
    notice.save()
    if changed:
        audit_record(
            action="notice.updated",
            actor=actor,
            municipality=notice.municipality,
            object_type="notice",
            object_id=str(notice.public_id),
            request=request,
            details={"fields": changed, "published": publish},
        )
    return notice
