"""Reads of identity data: which providers a municipality offers, and what a session's sign-in proved."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_scopes import scopes_disabled

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_for_host, municipality_for_slug, municipality_scope

from .models import ExternalIdentity, IdentityProvider

SESSION_ASSURANCE = "madoguchi_identity_assurance"


def safe_next_url(request: HttpRequest, candidate: str | None, default: str) -> str:
    """`candidate` when it is a path or URL on this same host (and scheme), else `default`."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def provider_list_enabled(municipality: Municipality) -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.filter(municipality=municipality, is_enabled=True).order_by("sort_order", "pk")


def provider_get_enabled(municipality: Municipality, slug: str) -> IdentityProvider:
    """An enabled provider of this municipality, or 404 (also for another municipality's provider)."""
    provider = provider_list_enabled(municipality).select_related("municipality").filter(slug=slug).first()
    if provider is None:
        raise Http404
    return provider


def provider_get(municipality: Municipality, slug: str) -> IdentityProvider:
    """A provider of this municipality, enabled or not (for its public key during registration), or 404."""
    provider = IdentityProvider.objects.filter(municipality=municipality, slug=slug).first()
    if provider is None:
        raise Http404
    return provider


def municipality_for_login(request: HttpRequest) -> Municipality | None:
    """The municipality a platform-level page (e.g. /accounts/login/) is acting for: the request's own, else
    the one a same-host `next` points into (/<slug>/…), else the one whose custom host name this is."""
    municipality = getattr(request, "municipality", None)
    if municipality is not None:
        return municipality
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"), "")
    if next_url:
        first_segment = urlsplit(next_url).path.lstrip("/").split("/", 1)[0]
        municipality = municipality_for_slug(first_segment)
    return municipality or municipality_for_host(request.get_host())


def providers_for_login(request: HttpRequest, municipality: Municipality | None = None) -> list[dict[str, Any]]:
    """The sign-in buttons for a municipality's enabled providers: label (active language) and start URL.

    Safe to call from pages outside the municipality's URL space (the platform login page): it enters the
    municipality's scope itself. Without a municipality, municipality_for_login(request) decides; when none
    applies the list is empty. A same-host `next` on the current request is carried through.
    """
    municipality = municipality or municipality_for_login(request)
    if municipality is None:
        return []
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"), "")
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    with municipality_scope(municipality):
        providers = list(provider_list_enabled(municipality))
    return [
        {
            "label": provider.display_name,
            "start_url": reverse(
                "identity:oidc_start",
                kwargs={"municipality_slug": municipality.slug, "provider_slug": provider.slug},
            )
            + query,
            "kind": provider.kind,
            "identity_level": provider.identity_level,
        }
        for provider in providers
    ]


def identities_for_user(user: Any) -> list[ExternalIdentity]:
    """Every identity linked to this account, across municipalities (accounts are platform-wide)."""
    with scopes_disabled():
        return list(
            ExternalIdentity.objects.filter(user=user)
            .select_related("provider", "municipality")
            .order_by("municipality__code", "provider__sort_order")
        )


def session_identity_assurance(request: HttpRequest) -> dict[str, Any] | None:
    """What this session's sign-in proved, e.g. {"level": "my_number_card", "provider": "myna",
    "municipality": 3, "at": 1767225600}; None after a password sign-in."""
    if not request.user.is_authenticated:
        return None
    value = request.session.get(SESSION_ASSURANCE)
    return value if isinstance(value, dict) else None
