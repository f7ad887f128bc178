"""Which municipality a request or task acts for, and the helpers that keep tenants apart."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django_scopes import scope, scopes_disabled

from .models import RESERVED_SLUGS, Municipality, MunicipalityHost

M = TypeVar("M", bound=Model)


_SLUG_SHAPE = re.compile(r"[a-z][a-z0-9-]{1,39}")


def municipality_for_slug(slug: str) -> Municipality | None:
    # Anything that cannot be a slug (NUL bytes, which PostgreSQL refuses outright, included) is just unknown.
    if not slug or slug in RESERVED_SLUGS or not _SLUG_SHAPE.fullmatch(slug):
        return None
    return Municipality.objects.filter(slug=slug, is_active=True).first()


HOST_CACHE_SECONDS = 60
# Each process also remembers answers for a few seconds: the shared cache is a database query per request
# when Redis is not configured. A changed mapping is forgotten at once in the process that saved it and
# within HOST_MEMO_SECONDS everywhere else.
HOST_MEMO_SECONDS = 10
_HOST_MEMO_SIZE = 256  # Host headers are client input: the memo never grows past this
_host_memo: dict[str, tuple[int, float]] = {}


def municipality_for_host(host: str) -> Municipality | None:
    """The municipality a custom host name serves. Cached briefly: most requests come on the platform's own
    host, and asking the database on every request for a mapping that almost never changes is waste."""
    host = (host or "").split(":", 1)[0].lower()
    if not host:
        return None
    remembered = _host_memo.get(host)
    if remembered is not None and remembered[1] > time.monotonic():
        municipality_id = remembered[0]
    else:
        cache_key = f"madoguchi:host:{host}"
        municipality_id = cache.get(cache_key)
        if municipality_id is None:
            mapping = MunicipalityHost.objects.filter(host__iexact=host, municipality__is_active=True).first()
            municipality_id = mapping.municipality_id if mapping else 0
            cache.set(cache_key, municipality_id, HOST_CACHE_SECONDS)
        if len(_host_memo) >= _HOST_MEMO_SIZE:
            _host_memo.clear()
        _host_memo[host] = (municipality_id, time.monotonic() + HOST_MEMO_SECONDS)
    if not municipality_id:
        return None
    return Municipality.objects.filter(pk=municipality_id, is_active=True).first()


def forget_host_memo(*hosts: str) -> None:
    """Forget this process's answers for these host names, or for every name when none is given."""
    if not hosts:
        _host_memo.clear()
    for host in hosts:
        _host_memo.pop(host.lower(), None)


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
    "module_required",
    "municipality_for_host",
    "municipality_for_slug",
    "municipality_scope",
    "municipality_view",
    "scopes_disabled",
]


def module_required(module_key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """404 when the request's municipality has switched this module off (put inside municipality_view)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            from .selectors import module_is_enabled

            if not module_is_enabled(request.municipality, module_key):  # type: ignore[attr-defined]
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
