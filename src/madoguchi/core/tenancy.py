"""Which municipality a request or task acts for, and the helpers that keep tenants apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django_scopes import scope, scopes_disabled

from .models import RESERVED_SLUGS, Municipality, MunicipalityHost

M = TypeVar("M", bound=Model)



def municipality_for_slug(slug: str) -> Municipality | None:
    if not slug or slug in RESERVED_SLUGS:
        return None
    return Municipality.objects.filter(slug=slug, is_active=True).first()


def municipality_for_host(host: str) -> Municipality | None:
    host = (host or "").split(":", 1)[0].lower()
    if not host:
        return None
    mapping = MunicipalityHost.objects.select_related("municipality").filter(host__iexact=host).first()
    if mapping and mapping.municipality.is_active:
        return mapping.municipality
    return None


@contextmanager
def municipality_scope(municipality: Municipality | int) -> Iterator[None]:
    """Enter a municipality's scope (for tasks and commands, which carry the municipality id explicitly)."""
    with scope(municipality=municipality if isinstance(municipality, Municipality) else int(municipality)):
        yield


def get_object_in_municipality(queryset: QuerySet[M], municipality: Municipality, **lookup: Any) -> M:
    """Fetch one object of this municipality or raise 404: never 403, which would reveal that it exists."""
    try:
        obj = queryset.filter(municipality=municipality, **lookup).first()
    except (ValidationError, ValueError):  # a malformed id (not a UUID, say) is just "not found"
        obj = None
    if obj is None:
        raise Http404
    return obj


def municipality_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as municipality-scoped: drops the slug argument the URL carried, 404 when unknown."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, municipality_slug: str = "", **kwargs: Any) -> Any:
        municipality = getattr(request, "municipality", None)
        if municipality is None or municipality.slug != municipality_slug:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


__all__ = [
    "RESERVED_SLUGS",
    "get_object_in_municipality",
    "municipality_for_host",
    "municipality_for_slug",
    "municipality_scope",
    "municipality_view",
    "scopes_disabled",
]
