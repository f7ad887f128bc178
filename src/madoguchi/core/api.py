"""/api/v1/municipalities: the hosted municipalities, their enabled modules and departments."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import SessionAuth
from pydantic import AfterValidator

from . import selectors
from .models import Municipality
from .registry import registry
from .tenancy import municipality_for_slug, municipality_scope

router = Router(tags=["municipalities"])


def _clean_text(value: str) -> str:
    """Refuse what no person types: control characters (NUL and friends) and unpaired surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(_("使用できない文字が含まれています。")) from exc
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise ValueError(_("使用できない文字（制御文字）が含まれています。"))
    return value


# Every free-text field of an API input schema uses this type.
CleanText = Annotated[str, AfterValidator(_clean_text)]


class PageParams(Schema):
    limit: int = Field(20, ge=1, le=settings.API_PAGE_SIZE_MAX, description="Items per page (max 100).")
    offset: int = Field(0, ge=0, le=1_000_000)


class MunicipalityOut(Schema):
    code: str = Field(description="全国地方公共団体コード (6 digits with check digit)")
    slug: str
    name: str
    name_kana: str
    name_en: str
    prefecture: str
    url: str


class ModuleOut(Schema):
    key: str
    name: str


class MunicipalityDetailOut(MunicipalityOut):
    contact_phone: str
    contact_email: str
    website: str
    modules: list[ModuleOut]


class MunicipalityPage(Schema):
    count: int
    items: list[MunicipalityOut]


class DepartmentOut(Schema):
    id: str = Field(description="Public id (UUID)")
    slug: str
    name: str
    name_en: str
    phone: str
    email: str


class DepartmentPage(Schema):
    count: int
    items: list[DepartmentOut]


def municipality_out(municipality: Municipality) -> dict[str, str]:
    return {
        "code": municipality.code,
        "slug": municipality.slug,
        "name": municipality.name,
        "name_kana": municipality.name_kana,
        "name_en": municipality.name_en,
        "prefecture": municipality.prefecture,
        "url": f"/{municipality.slug}/",
    }


@contextmanager
def api_municipality(slug: str) -> Iterator[Municipality]:
    """Resolve a municipality from an API path and enter its scope (404 for unknown or inactive)."""
    municipality = municipality_for_slug(slug)
    if municipality is None:
        raise Http404
    with municipality_scope(municipality):
        yield municipality


class StaffSessionAuth(SessionAuth):
    """The back office's session, second factor included (staff APIs are for the staff UI and scripts)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> object | None:
        from madoguchi.accounts.services import SESSION_MFA_VERIFIED

        user = super().authenticate(request, key)
        if user is None or not request.session.get(SESSION_MFA_VERIFIED):
            return None
        return user


@router.get("", response=MunicipalityPage, summary="List hosted municipalities")
def municipality_list(request: HttpRequest, page: Query[PageParams]) -> dict:
    queryset = selectors.municipality_list_public()
    items = [municipality_out(m) for m in queryset[page.offset : page.offset + page.limit]]
    return {"count": queryset.count(), "items": items}


@router.get("/{slug}", response=MunicipalityDetailOut, summary="One municipality with its enabled modules")
def municipality_detail(request: HttpRequest, slug: str) -> dict:
    with api_municipality(slug) as municipality:
        modules = [{"key": m.key, "name": str(m.name)} for m in registry.enabled_for(municipality)]
        return {
            **municipality_out(municipality),
            "contact_phone": municipality.contact_phone,
            "contact_email": municipality.contact_email,
            "website": municipality.website,
            "modules": modules,
        }


@router.get("/{slug}/departments", response=DepartmentPage, summary="Departments (課) of a municipality")
def department_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict:
    with api_municipality(slug) as municipality:
        queryset = selectors.department_list(municipality)
        items = [
            {
                "id": str(d.public_id),
                "slug": d.slug,
                "name": d.name,
                "name_en": d.name_en,
                "phone": d.phone,
                "email": d.email,
            }
            for d in queryset[page.offset : page.offset + page.limit]
        ]
        return {"count": queryset.count(), "items": items}
