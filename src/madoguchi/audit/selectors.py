from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from madoguchi.core.models import Municipality

from .models import AuditEvent


def audit_event_search(
    *,
    municipality: Municipality,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    actor: str = "",
    action: str = "",
    object_id: str = "",
) -> QuerySet[AuditEvent]:
    """Events of one municipality matching the filters, newest first. Dates are inclusive, Asia/Tokyo."""
    queryset = AuditEvent.objects.filter(municipality=municipality).select_related(None)
    if date_from:
        queryset = queryset.filter(occurred_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(occurred_at__date__lte=date_to)
    if actor:
        queryset = queryset.filter(actor_label__icontains=actor)
    if action:
        queryset = queryset.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if object_id:
        queryset = queryset.filter(object_id=object_id)
    return queryset.order_by("-occurred_at", "-id")


def audit_action_names(*, municipality: Municipality) -> list[str]:
    return list(
        AuditEvent.objects.filter(municipality=municipality)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
