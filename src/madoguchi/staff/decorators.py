"""Access to the back office: signed in, second factor checked, and the permission held in this municipality."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase as HttpResponse
from django.shortcuts import render
from django.urls import reverse

from madoguchi.accounts.permissions import permissions_for
from madoguchi.accounts.services import SESSION_MFA_VERIFIED
from madoguchi.core.tenancy import municipality_view


def staff_view(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @municipality_view
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            next_param = quote(request.get_full_path())
            if not request.user.is_authenticated:
                return HttpResponseRedirect(f"{reverse('accounts:login')}?next={next_param}")
            municipality = request.municipality  # type: ignore[attr-defined]
            granted = permissions_for(request.user, municipality)
            if not granted:
                # Not staff here: the back office of this municipality does not exist for them.
                raise Http404
            if not request.session.get(SESSION_MFA_VERIFIED):
                return HttpResponseRedirect(f"{reverse('accounts:mfa_verify')}?next={next_param}")
            if permission not in granted:
                return render(request, "staff/forbidden.html", status=403)
            request.staff_permissions = granted  # type: ignore[attr-defined]
            response = view(request, *args, **kwargs)
            response.headers.setdefault("Cache-Control", "private, no-store")
            return response

        return wrapper

    return decorator
