from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .navigation import public_nav, staff_nav


class _LazySections:
    """The enabled modules' page sections, rendered only when a template iterates them (the base layout)."""

    def __init__(self, request: HttpRequest, municipality: Any) -> None:
        self._request = request
        self._municipality = municipality
        self._html: list[str] | None = None

    def __iter__(self) -> Any:
        if self._html is None:
            from .registry import registry

            self._html = [
                html
                for manifest in registry.enabled_for(self._municipality)
                for html in (section(self._request) for section in manifest.page_sections)
                if html
            ]
        return iter(self._html)


def platform(request: HttpRequest) -> dict[str, Any]:
    municipality = getattr(request, "municipality", None)
    context: dict[str, Any] = {"municipality": municipality}
    if municipality is None:
        return context
    context["public_nav"] = public_nav(request, municipality)
    if not request.path.startswith(f"/{municipality.slug}/staff/"):
        context["page_sections"] = _LazySections(request, municipality)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from madoguchi.accounts.permissions import permissions_for

        permissions = permissions_for(user, municipality)
        if permissions:
            context["staff_home_url"] = reverse("staff:dashboard", kwargs={"municipality_slug": municipality.slug})
            if request.path.startswith(f"/{municipality.slug}/staff/"):
                context["staff_nav"] = staff_nav(request, municipality, permissions)
    return context
