"""Reads of the procedure catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Municipality
from madoguchi.core.search import terms
from madoguchi.core.tenancy import get_object_in_municipality

from .models import Fee, FormVersion, Procedure, ProcedureLifeEvent, RequiredAttachment


def _with_catalogue_details(queryset: QuerySet[Procedure]) -> QuerySet[Procedure]:
    return queryset.select_related("department").prefetch_related(
        Prefetch("life_event_links", queryset=ProcedureLifeEvent.objects.order_by("event")),
        Prefetch("fees", queryset=Fee.objects.order_by("code")),
    )


def procedure_search(
    municipality: Municipality, *, query: str = "", category: str = "", life_event: str = ""
) -> QuerySet[Procedure]:
    """Published procedures matching every term of `query` as a partial word (「住民票」 finds
    住民票の写し等交付申請; kana and width are folded), optionally within a category and a life event."""
    queryset = Procedure.objects.filter(municipality=municipality, is_published=True)
    for term in terms(query):
        queryset = queryset.filter(search_text__contains=term)
    if category:
        queryset = queryset.filter(category=category)
    if life_event:
        queryset = queryset.filter(life_event_links__event=life_event)
    return _with_catalogue_details(queryset).order_by("name_kana", "pk")


def procedure_get_published(municipality: Municipality, slug: str) -> Procedure:
    queryset = _with_catalogue_details(Procedure.objects.filter(is_published=True)).prefetch_related(
        Prefetch("attachments", queryset=RequiredAttachment.objects.order_by("position", "pk"))
    )
    return get_object_in_municipality(queryset, municipality, slug=slug)


def procedure_list_for_staff(municipality: Municipality, user: Any) -> QuerySet[Procedure]:
    """Every procedure for admins; department staff see their own 課's."""
    queryset = Procedure.objects.filter(municipality=municipality)
    allowed = department_scope(user, municipality)
    if allowed is not None:
        queryset = queryset.filter(department_id__in=allowed)
    return _with_catalogue_details(queryset).order_by("name_kana", "pk")


def procedure_get_for_staff(municipality: Municipality, user: Any, public_id: str) -> Procedure:
    return get_object_in_municipality(procedure_list_for_staff(municipality, user), municipality, public_id=public_id)


def enabled_preset_keys(municipality: Municipality) -> set[str]:
    return set(
        Procedure.objects.filter(municipality=municipality).exclude(preset_key="").values_list("preset_key", flat=True)
    )


def live_form(procedure: Procedure) -> FormVersion | None:
    return FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.LIVE).first()
