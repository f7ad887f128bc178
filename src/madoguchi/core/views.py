"""Platform-level pages: the list of municipalities, each municipality's home, health endpoints."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors
from .registry import registry
from .tenancy import municipality_view


@require_GET
def platform_home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/platform_home.html", {"municipalities": selectors.municipality_list_public()})


@require_GET
@municipality_view
def municipality_home(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    modules = registry.enabled_for(municipality)
    sections = [
        html for manifest in modules for html in (section(request) for section in manifest.home_sections) if html
    ]
    return render(request, "core/municipality_home.html", {"modules": modules, "home_sections": sections})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage doesn't restart web nodes."""
    return JsonResponse({"status": "ok"})


# Once every migration is applied this process never needs to read the migration graph again (it is loaded
# from disk, which load-balancer probes every few seconds should not pay for).
_migrations_known_applied = False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and every migration is applied."""
    global _migrations_known_applied
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = []
        if not _migrations_known_applied:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            _migrations_known_applied = not pending
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if pending:
        return JsonResponse({"status": "unavailable", "database": "ok", "pending_migrations": len(pending)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "pending_migrations": 0})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/403_csrf.html", status=403)
