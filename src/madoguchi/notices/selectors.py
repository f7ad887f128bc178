from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

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


def notice_list_for_staff(municipality: Municipality) -> QuerySet[Notice]:
    return Notice.objects.filter(municipality=municipality).select_related("department").order_by("-created_at", "-pk")


def notice_get_for_staff(municipality: Municipality, public_id: str) -> Notice:
    return get_object_in_municipality(Notice.objects.select_related("department"), municipality, public_id=public_id)
