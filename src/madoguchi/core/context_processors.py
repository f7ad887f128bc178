from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .navigation import public_nav, staff_nav


def platform(request: HttpRequest) -> dict[str, Any]:
    municipality = getattr(request, "municipality", None)
    context: dict[str, Any] = {"municipality": municipality}
    if municipality is None:
        return context
    context["public_nav"] = public_nav(request, municipality)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from madoguchi.accounts.permissions import permissions_for

        permissions = permissions_for(user, municipality)
        if permissions:
            context["staff_home_url"] = reverse("staff:dashboard", kwargs={"municipality_slug": municipality.slug})
            if request.path.startswith(f"/{municipality.slug}/staff/"):
                context["staff_nav"] = staff_nav(request, municipality, permissions)
    return context
