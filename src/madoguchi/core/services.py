"""Writes to core tenant data: departments, module switches, municipality settings and API tokens."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record

from .errors import ServiceError, full_clean_or_refuse, service_error_from_validation
from .models import ApiToken, Department, ModuleActivation, Municipality
from .registry import registry

DEPARTMENT_FIELDS = ("slug", "name", "name_en", "phone", "email", "is_active")
MUNICIPALITY_SETTING_FIELDS = (
    "contact_department",
    "contact_phone",
    "contact_email",
    "postal_code",
    "address",
    "address_en",
    "website",
    "office_hours",
    "office_hours_en",
    "audit_retention_days",
)


def _integrity_to_service_error(exc: IntegrityError) -> ServiceError:
    text = str(exc).lower()
    if "slug" in text:
        return ServiceError(
            "duplicate", _("この識別名はすでに使われています。別の識別名にしてください。"), field="slug"
        )
    return ServiceError("duplicate", _("同じ名前の課がすでにあります。別の名前にしてください。"), field="name")


@transaction.atomic
def department_create(
    *, municipality: Municipality, actor: Any, data: dict[str, Any], request: HttpRequest | None
) -> Department:
    department = Department(municipality=municipality, **{k: data[k] for k in DEPARTMENT_FIELDS if k in data})
    try:
        department.full_clean()
        with transaction.atomic():
            department.save()
    except IntegrityError as exc:
        raise _integrity_to_service_error(exc) from exc
    except ValidationError as exc:
        raise _validation_to_service_error(exc) from exc
    audit_record(
        action="department.created",
        actor=actor,
        municipality=municipality,
        object_type="department",
        object_id=str(department.public_id),
        request=request,
        details={"slug": department.slug, "name": department.name},
    )
    return department


@transaction.atomic
def department_update(
    *, department: Department, actor: Any, data: dict[str, Any], request: HttpRequest | None
) -> Department:
    changed = {k: data[k] for k in DEPARTMENT_FIELDS if k in data and getattr(department, k) != data[k]}
    for key, value in changed.items():
        setattr(department, key, value)
    try:
        department.full_clean()
        with transaction.atomic():
            department.save()
    except IntegrityError as exc:
        raise _integrity_to_service_error(exc) from exc
    except ValidationError as exc:
        raise _validation_to_service_error(exc) from exc
    if changed:
        audit_record(
            action="department.updated",
            actor=actor,
            municipality=department.municipality,
            object_type="department",
            object_id=str(department.public_id),
            request=request,
            details={"fields": sorted(changed)},
        )
    return department


def _validation_to_service_error(exc: ValidationError) -> ServiceError:
    """Department rule breaches: the per-municipality unique constraints come back without a field."""
    error = service_error_from_validation(exc)
    if error.field is None:
        if "slug" in str(error.message).lower():
            return ServiceError(
                "duplicate", _("この識別名はすでに使われています。別の識別名にしてください。"), field="slug"
            )
        return ServiceError("duplicate", _("同じ名前の課がすでにあります。別の名前にしてください。"), field="name")
    return error


@transaction.atomic
def module_activation_set(
    *,
    municipality: Municipality,
    actor: Any,
    module_key: str,
    enabled: bool,
    settings: dict[str, Any] | None,
    request: HttpRequest | None,
) -> ModuleActivation:
    """Switch a module on or off for a municipality and store its settings (validated against the manifest)."""
    manifest = registry.get(module_key)
    if manifest is None:
        raise ServiceError("unknown_module", _("この機能はありません。"), status=404)
    clean_settings: dict[str, Any] = {}
    for spec in manifest.settings:
        value = (settings or {}).get(spec.key, spec.default)
        if spec.kind is int:
            field = f"{module_key}__{spec.key}"
            if spec.minimum is not None and value < spec.minimum:
                raise ServiceError(
                    "out_of_range",
                    _("%(label)sは%(min)s以上にしてください。") % {"label": spec.label, "min": spec.minimum},
                    field=field,
                )
            if spec.maximum is not None and value > spec.maximum:
                raise ServiceError(
                    "out_of_range",
                    _("%(label)sは%(max)s以下にしてください。") % {"label": spec.label, "max": spec.maximum},
                    field=field,
                )
        clean_settings[spec.key] = value
    activation, created = ModuleActivation.objects.select_for_update().get_or_create(
        municipality=municipality, module_key=module_key, defaults={"enabled": enabled, "settings": clean_settings}
    )
    if not created and (activation.enabled != enabled or activation.settings != clean_settings):
        activation.enabled = enabled
        activation.settings = clean_settings
        activation.save(update_fields=["enabled", "settings", "updated_at"])
    elif not created:
        return activation
    municipality.__dict__.pop("_module_activation_cache", None)
    audit_record(
        action="module.switched",
        actor=actor,
        municipality=municipality,
        object_type="module",
        object_id=module_key,
        request=request,
        details={"enabled": enabled, "settings": clean_settings},
    )
    return activation


@transaction.atomic
def municipality_settings_update(
    *, municipality: Municipality, actor: Any, data: dict[str, Any], request: HttpRequest | None
) -> Municipality:
    locked = Municipality.objects.select_for_update().get(pk=municipality.pk)
    changed = sorted(k for k in MUNICIPALITY_SETTING_FIELDS if k in data and getattr(locked, k) != data[k])
    for key in changed:
        setattr(locked, key, data[key])
    full_clean_or_refuse(locked)
    locked.save()
    if changed:
        audit_record(
            action="municipality.settings_updated",
            actor=actor,
            municipality=locked,
            object_type="municipality",
            object_id=locked.code,
            request=request,
            details={"fields": changed},
        )
    return locked


# --- API tokens for other systems ----------------------------------------------------------------------------

API_TOKEN_LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


@transaction.atomic
def api_token_create(
    *,
    municipality: Municipality,
    actor: Any,
    name: str,
    scopes: list[str],
    departments: list[Department],
    expires_at: datetime.datetime | None,
    request: HttpRequest | None,
) -> tuple[ApiToken, str]:
    """A new token and its secret. The secret is returned once and never stored (only its SHA-256 digest)."""
    from madoguchi.accounts.permissions import API_TOKEN_SCOPES

    from .apitokens import token_generate

    name = name.strip()
    unknown = [scope for scope in scopes if scope not in API_TOKEN_SCOPES]
    if unknown or not scopes:
        raise ServiceError("scopes_invalid", _("トークンに与える権限を選んでください。"), field="scopes")
    if any(department.municipality_id != municipality.pk for department in departments):
        raise ServiceError("department_invalid", _("この自治体の課を選んでください。"), field="departments")
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ServiceError("expiry_past", _("有効期限は今日以降の日付にしてください。"), field="expires_at")
    if ApiToken.objects.filter(municipality=municipality, name=name, revoked_at__isnull=True).exists():
        raise ServiceError("duplicate", _("同じ名前の有効なトークンがあります。別の名前にしてください。"), field="name")
    secret, prefix, digest = token_generate()
    token = ApiToken(
        municipality=municipality,
        name=name,
        prefix=prefix,
        digest=digest,
        scopes=sorted(set(scopes)),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        expires_at=expires_at,
    )
    full_clean_or_refuse(token)
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError as exc:
        raise ServiceError(
            "duplicate", _("同じ名前の有効なトークンがあります。別の名前にしてください。"), field="name"
        ) from exc
    token.departments.set(departments)
    audit_record(
        action="api_token.created",
        actor=actor,
        municipality=municipality,
        object_type="api_token",
        object_id=str(token.public_id),
        request=request,
        details={
            "name": token.name,
            "prefix": token.prefix,
            "scopes": token.scopes,
            "departments": sorted(str(d.public_id) for d in departments),
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any, request: HttpRequest | None) -> ApiToken:
    """Revoke at once (every later request with it is a 401). Revoking a revoked token changes nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="api_token.revoked",
        actor=actor,
        municipality=locked.municipality,
        object_type="api_token",
        object_id=str(locked.public_id),
        request=request,
        details={"name": locked.name, "prefix": locked.prefix},
    )
    return locked


def api_token_mark_used(*, token: ApiToken, now: datetime.datetime) -> None:
    """Remember when a token was last used, writing at most once a minute per token (one conditional UPDATE,
    so a busy core system does not turn every read into a write). What it did is in the audit log."""
    if token.last_used_at is not None and now - token.last_used_at < API_TOKEN_LAST_USED_GRANULARITY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_TOKEN_LAST_USED_GRANULARITY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
