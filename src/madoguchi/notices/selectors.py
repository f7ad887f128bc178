from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import get_object_in_municipality

from .models import Notice


def notice_list_published(municipality: Municipality) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(municipality=municipality, published_at__isnull=False, published_at__lte=timezone.now())
        .select_related("department")
        .order_by("-published_at", "-pk")
    )


def notice_get_published(municipality: Municipality, public_id: str) -> Notice:
    return get_object_in_municipality(notice_list_published(municipality), municipality, public_id=public_id)


def notice_list_for_staff(municipality: Municipality, user: Any) -> QuerySet[Notice]:
    """The notices this staff member manages: all of them for admins, their own 課's for department staff."""
    queryset = Notice.objects.filter(municipality=municipality).select_related("department")
    allowed = department_scope(user, municipality)
    if allowed is not None:
        queryset = queryset.filter(department_id__in=allowed)
    return queryset.order_by("-created_at", "-pk")


def notice_get_for_staff(municipality: Municipality, user: Any, public_id: str) -> Notice:
    """One notice this staff member manages, or 404 (another 課's notice is as good as absent)."""
    return get_object_in_municipality(notice_list_for_staff(municipality, user), municipality, public_id=public_id)
