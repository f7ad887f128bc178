"""Request-wide middleware: request ids, security headers, language choice and the municipality scope."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from .tenancy import municipality_for_host, municipality_for_slug

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$")


class RequestIdMiddleware:
    """Tag each request with an id (kept from a proxy's X-Request-ID when well-formed) for logs and audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


def _tile_host() -> str:
    """The map tile server's origin (facilities maps), the one outside host images may come from."""
    from urllib.parse import urlsplit

    parts = urlsplit(getattr(settings, "FACILITIES_MAP_TILE_URL", "") or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme == "https" and parts.netloc else ""


# No inline script or style anywhere: every script and stylesheet is a file we serve ourselves.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        " ".join(part for part in ("img-src 'self' data:", _tile_host()) if part),
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        return response


class LanguageMiddleware:
    """Japanese by default. `?lang=en` (a link residents can share) or the switcher's cookie picks English.

    The choice is kept in a cookie, so it persists across pages without putting the language in every URL.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        requested = request.GET.get("lang", "")
        language = requested if requested in self.supported else None
        if language is None:
            cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = cookie if cookie in self.supported else None
        if language is None and request.path.startswith("/api/"):
            accept = request.headers.get("Accept-Language", "")
            language = "en" if accept.lower().startswith("en") else None
        language = language or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if requested in self.supported:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                requested,
                max_age=60 * 60 * 24 * 365,
                samesite="Lax",
                secure=request.is_secure(),
            )
        response.setdefault("Content-Language", language)
        patch_vary = response.get("Vary", "")
        if "Cookie" not in patch_vary:
            response["Vary"] = f"{patch_vary}, Cookie".strip(", ")
        translation.deactivate()
        return response


_NO_TENANT_SEGMENTS = frozenset({"healthz", "readyz", "static", "media", "favicon.ico", "robots.txt"})


def api_error_response(request: HttpRequest, status: int) -> HttpResponse:
    from madoguchi.api import status_error

    from .errors import error_body

    code, message = status_error(status)
    return JsonResponse(error_body(code, str(message)), status=status, json_dumps_params={"ensure_ascii": False})


# The CKAN-compatible open data API answers in CKAN's own envelope (opendata/ckan.py), never in ours.
_CKAN_API_PATH = re.compile(r"^/api/(?:3/)?action/")


class ApiErrorShapeMiddleware:
    """Every /api/ response that is an error has the one error shape, even when it did not come from an
    API handler (unknown paths, wrong HTTP methods, errors raised by Django before routing). The CKAN
    paths (/api/action/…, /api/3/action/…) are left alone: CKAN clients read CKAN's error envelope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path_info.startswith("/api/")
            and not _CKAN_API_PATH.match(request.path_info)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = api_error_response(request, response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response


class MunicipalityMiddleware:
    """Resolve the municipality from the path (/<slug>/…) or a custom host name and enter its scope.

    Every request that is not for a municipality runs with no scope at all, so a tenant query made there
    raises ScopeError instead of leaking rows. Only the Django admin (platform admins) runs unscoped.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        segments = request.path_info.lstrip("/").split("/")
        first_segment = segments[0]
        if first_segment in _NO_TENANT_SEGMENTS:
            # Health checks and static files never touch the database.
            request.municipality = None  # type: ignore[attr-defined]
            return self.get_response(request)
        host_municipality = municipality_for_host(request.get_host())
        if first_segment == "api":
            request.municipality = None  # type: ignore[attr-defined]
            # /api/v1/municipalities/<slug>/… on a city's own host name serves only that city.
            if (
                host_municipality is not None
                and len(segments) > 3
                and segments[1] == "v1"
                and segments[3] != host_municipality.slug
            ):
                return api_error_response(request, 404)
            return self.get_response(request)
        municipality = municipality_for_slug(first_segment)
        if host_municipality is not None:
            if request.path_info == "/":
                return HttpResponseRedirect(f"/{host_municipality.slug}/")
            if municipality is not None and municipality != host_municipality:
                # A city's own host name serves only that city.
                municipality = None
                request.path_info = "/__not_found__/"
        request.municipality = municipality  # type: ignore[attr-defined]
        if request.path_info.startswith("/admin/"):
            with scopes_disabled():
                return self.get_response(request)
        if municipality is None:
            return self.get_response(request)
        with scope(municipality=municipality):
            return self.get_response(request)
