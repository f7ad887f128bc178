"""Reads of core tenant data. Views call these, never the models directly."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken, Department, ModuleActivation, Municipality


def municipality_list_public() -> QuerySet[Municipality]:
    return Municipality.objects.filter(is_active=True).order_by("code")


def module_activation_map(municipality: Municipality) -> dict[str, tuple[bool, dict[str, Any]]]:
    """module key → (enabled, settings) for one municipality, in one query.

    Cached on the municipality object, so a request that builds navigation and checks access asks once.
    """
    cached = getattr(municipality, "_module_activation_cache", None)
    if cached is not None:
        return cached
    rows = ModuleActivation.objects.filter(municipality=municipality).values_list("module_key", "enabled", "settings")
    result = {key: (enabled, settings or {}) for key, enabled, settings in rows}
    municipality._module_activation_cache = result  # type: ignore[attr-defined]
    return result


def module_is_enabled(municipality: Municipality, module_key: str) -> bool:
    from .registry import registry

    manifest = registry.get(module_key)
    if manifest is None:
        return False
    return module_activation_map(municipality).get(module_key, (manifest.enabled_by_default, {}))[0]


def module_settings(municipality: Municipality, module_key: str) -> dict[str, Any]:
    from .registry import registry

    manifest = registry.get(module_key)
    if manifest is None:
        return {}
    stored = module_activation_map(municipality).get(module_key, (False, {}))[1]
    return {**manifest.default_settings(), **stored}


def department_list(municipality: Municipality, *, include_inactive: bool = False) -> QuerySet[Department]:
    queryset = Department.objects.filter(municipality=municipality)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("name")


def department_get(municipality: Municipality, public_id: str) -> Department:
    from .tenancy import get_object_in_municipality

    return get_object_in_municipality(Department.objects.all(), municipality, public_id=public_id)


def api_token_list(municipality: Municipality) -> QuerySet[ApiToken]:
    """This municipality's API tokens, newest first, with their departments (revoked ones included)."""
    return (
        ApiToken.objects.filter(municipality=municipality)
        .select_related("created_by")
        .prefetch_related("departments")
        .order_by("-created_at", "-pk")
    )


def api_token_get(municipality: Municipality, public_id: str) -> ApiToken:
    from .tenancy import get_object_in_municipality

    return get_object_in_municipality(api_token_list(municipality), municipality, public_id=public_id)
