"""/api/v1/municipalities/{slug}/notices: published notices; staff can create them (idempotent)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from madoguchi.accounts.permissions import Perm, has_permission
from madoguchi.core.api import CleanText, PageParams, StaffSessionAuth, api_municipality
from madoguchi.core.errors import ServiceError
from madoguchi.core.idempotency import run_idempotent
from madoguchi.core.selectors import department_list, module_is_enabled

from . import selectors, services
from .manifest import KEY
from .models import Importance, Notice

router = Router(tags=["notices"])


class NoticeOut(Schema):
    id: str
    title: str
    title_en: str
    body: str
    body_en: str
    importance: str
    department: str | None
    published_at: datetime.datetime | None


class NoticePage(Schema):
    count: int
    items: list[NoticeOut]


class NoticeIn(Schema):
    title: CleanText = Field(min_length=1, max_length=120)
    title_en: CleanText = Field("", max_length=200)
    body: CleanText = Field(min_length=1, max_length=10000)
    body_en: CleanText = Field("", max_length=10000)
    importance: Importance = Importance.NORMAL
    department: CleanText | None = Field(None, max_length=40, description="Department slug")
    publish: bool = True


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


def notice_out(notice: Notice) -> dict:
    return {
        "id": str(notice.public_id),
        "title": notice.title,
        "title_en": notice.title_en,
        "body": notice.body,
        "body_en": notice.body_en,
        "importance": notice.importance,
        "department": notice.department.slug if notice.department else None,
        "published_at": notice.published_at,
    }


@router.get("/{slug}/notices", response=NoticePage, summary="Published notices, newest first")
def notice_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        queryset = selectors.notice_list_published(municipality)
        return {
            "count": queryset.count(),
            "items": [notice_out(n) for n in queryset[page.offset : page.offset + page.limit]],
        }


@router.get("/{slug}/notices/{notice_id}", response=NoticeOut, summary="One published notice")
def notice_detail(request: HttpRequest, slug: str, notice_id: str) -> dict:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        return notice_out(selectors.notice_get_published(municipality, notice_id))


@router.post(
    "/{slug}/notices",
    response={201: NoticeOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=StaffSessionAuth(),
    summary="Create a notice (staff; send Idempotency-Key to make retries safe)",
)
def notice_create(request: HttpRequest, slug: str, payload: NoticeIn) -> Status:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        user = request.auth  # type: ignore[attr-defined]  # set by StaffSessionAuth
        if not has_permission(user, municipality, Perm.NOTICES_MANAGE):
            raise PermissionDenied
        department = None
        if payload.department:
            department = department_list(municipality).filter(slug=payload.department).first()
            if department is None:
                raise ServiceError("department_invalid", _("この課はありません。"), field="department", status=422)

        def create() -> tuple[int, dict]:
            notice = services.notice_create(
                municipality=municipality,
                actor=user,
                data={**payload.dict(exclude={"publish", "department"}), "department": department},
                publish=payload.publish,
                request=request,
            )
            return 201, notice_out(notice)

        status, body = run_idempotent(
            request, scope=f"user:{user.pk}:notice_create:{municipality.pk}", operation=create
        )
        return Status(status, body)
