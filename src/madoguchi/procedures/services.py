"""Writes to the procedure catalogue: enabling presets, editing and publishing procedures."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.permissions import department_scope
from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Department, Municipality
from madoguchi.core.search import fold

from .catalogue_cache import catalogue_changed
from .models import Fee, LifeEvent, Procedure, ProcedureLifeEvent, RequiredAttachment
from .presets import preset_by_key

CATALOGUE_FIELDS = (
    "name",
    "name_kana",
    "name_en",
    "summary",
    "summary_en",
    "category",
    "department",
    "legal_basis",
    "applicants",
    "identity_level",
    "channel",
    "delivery_methods",
    "processing_days",
    "preparation",
    "preparation_en",
)


def _search_text(procedure: Procedure) -> str:
    return fold(" ".join([procedure.name, procedure.name_kana, procedure.name_en, procedure.summary]))


def _check_department(municipality: Municipality, actor: Any, department: Department | None) -> None:
    if department is None or department.municipality_id != municipality.pk:
        raise ServiceError("department_invalid", _("担当課を選んでください。"), field="department")
    allowed = department_scope(actor, municipality)
    if allowed is not None and department.pk not in allowed:
        raise ServiceError("department_not_yours", _("担当している課を選んでください。"), field="department")


def _default_department(municipality: Municipality, actor: Any, preset_slug: str) -> Department | None:
    """The preset's usual 課 when the municipality has it and the actor may use it; else the actor's only 課."""
    allowed = department_scope(actor, municipality)
    usual = Department.objects.filter(municipality=municipality, slug=preset_slug, is_active=True).first()
    if usual is not None and (allowed is None or usual.pk in allowed):
        return usual
    if allowed is not None and len(allowed) == 1:
        return Department.objects.filter(pk=next(iter(allowed))).first()
    return None


def _set_life_events(procedure: Procedure, events: list[str] | tuple[str, ...]) -> None:
    valid = [event for event in dict.fromkeys(events) if event in LifeEvent.values]
    ProcedureLifeEvent.objects.filter(procedure=procedure).exclude(event__in=valid).delete()
    existing = set(ProcedureLifeEvent.objects.filter(procedure=procedure).values_list("event", flat=True))
    ProcedureLifeEvent.objects.bulk_create(
        ProcedureLifeEvent(procedure=procedure, event=event) for event in valid if event not in existing
    )
    catalogue_changed(procedure.municipality_id)  # bulk_create sends no post_save


@transaction.atomic
def procedure_preset_enable(
    *,
    municipality: Municipality,
    actor: Any,
    key: str,
    department: Department | None = None,
    request: HttpRequest | None,
) -> Procedure:
    """Copy a preset into the municipality's catalogue (unpublished, to review first). Idempotent: enabling
    the same preset again returns the existing procedure unchanged. Fees join the municipality's fee table
    (an existing fee code keeps the municipality's own amount)."""
    preset = preset_by_key(key)
    if preset is None:
        raise ServiceError("unknown_preset", _("このひな形はありません。"), status=404)
    existing = Procedure.objects.filter(municipality=municipality, preset_key=key).first()
    if existing is not None:
        return existing
    if department is None:
        department = _default_department(municipality, actor, preset.department)
    _check_department(municipality, actor, department)
    slug = preset.key
    if Procedure.objects.filter(municipality=municipality, slug=slug).exists():
        slug = f"{preset.key}-{len(enabled_slugs(municipality)) + 1}"
    procedure = Procedure(
        municipality=municipality,
        slug=slug,
        preset_key=preset.key,
        name=preset.name,
        name_kana=preset.name_kana,
        name_en=preset.name_en,
        summary=preset.summary,
        summary_en=preset.summary_en,
        category=preset.category,
        department=department,
        legal_basis=preset.legal_basis,
        applicants=list(preset.applicants),
        identity_level=preset.identity_level,
        channel=preset.channel,
        delivery_methods=list(preset.delivery_methods),
        processing_days=preset.processing_days,
        preparation=preset.preparation,
        preparation_en=preset.preparation_en,
    )
    procedure.search_text = _search_text(procedure)
    full_clean_or_refuse(procedure)
    procedure.save()
    _set_life_events(procedure, preset.life_events)
    RequiredAttachment.objects.bulk_create(
        RequiredAttachment(
            procedure=procedure,
            name=attachment.name,
            name_en=attachment.name_en,
            condition=attachment.condition,
            condition_en=attachment.condition_en,
            position=position,
        )
        for position, attachment in enumerate(preset.attachments)
    )
    for preset_fee in preset.fees:
        fee, _created = Fee.objects.get_or_create(
            municipality=municipality,
            code=preset_fee.code,
            defaults={
                "name": preset_fee.name,
                "name_en": preset_fee.name_en,
                "amount": preset_fee.amount,
                "unit": preset_fee.unit,
                "unit_en": preset_fee.unit_en,
            },
        )
        procedure.fees.add(fee)
    audit_record(
        action="procedure.preset_enabled",
        actor=actor,
        municipality=municipality,
        object_type="procedure",
        object_id=str(procedure.public_id),
        request=request,
        details={"preset": key},
    )
    return procedure


def enabled_slugs(municipality: Municipality) -> set[str]:
    return set(Procedure.objects.filter(municipality=municipality).values_list("slug", flat=True))


@transaction.atomic
def procedure_update(
    *, procedure: Procedure, actor: Any, data: dict[str, Any], life_events: list[str], request: HttpRequest | None
) -> Procedure:
    """Edit the catalogue entry (not the form: forms change by publishing a new version)."""
    if "department" in data:
        _check_department(procedure.municipality, actor, data["department"])
    changed = sorted(key for key in CATALOGUE_FIELDS if key in data and getattr(procedure, key) != data[key])
    for key in changed:
        setattr(procedure, key, data[key])
    procedure.search_text = _search_text(procedure)
    full_clean_or_refuse(procedure)
    procedure.save()
    before = set(procedure.life_event_links.values_list("event", flat=True))
    _set_life_events(procedure, life_events)
    if before != set(life_events) & set(LifeEvent.values):
        changed.append("life_events")
    if changed:
        audit_record(
            action="procedure.updated",
            actor=actor,
            municipality=procedure.municipality,
            object_type="procedure",
            object_id=str(procedure.public_id),
            request=request,
            details={"fields": changed},
        )
    return procedure


@transaction.atomic
def procedure_set_published(
    *, procedure: Procedure, actor: Any, published: bool, request: HttpRequest | None
) -> Procedure:
    _check_department(procedure.municipality, actor, procedure.department)
    if procedure.is_published != published:
        procedure.is_published = published
        procedure.save(update_fields=["is_published", "updated_at"])
        audit_record(
            action="procedure.published" if published else "procedure.unpublished",
            actor=actor,
            municipality=procedure.municipality,
            object_type="procedure",
            object_id=str(procedure.public_id),
            request=request,
        )
    return procedure


MAX_EXPORT_COLUMNS = 500


@transaction.atomic
def procedure_set_export_columns(
    *, procedure: Procedure, actor: Any, columns: list[str], request: HttpRequest | None
) -> Procedure:
    """Choose and order the columns of the export for core systems; an empty list means every column. Only
    columns the procedure has (standard ones, and the answers of its form versions) can be chosen."""
    from .export import available_columns

    _check_department(procedure.municipality, actor, procedure.department)
    known = {column.key for column in available_columns(procedure)}
    chosen = list(dict.fromkeys(columns))
    if len(chosen) != len(columns):
        raise ServiceError("columns_duplicate", _("同じ列が2回選ばれています。"), field="columns")
    unknown = [key for key in chosen if key not in known]
    if unknown or len(chosen) > MAX_EXPORT_COLUMNS:
        raise ServiceError(
            "columns_invalid", _("この手続にない列が選ばれています。選び直してください。"), field="columns"
        )
    if procedure.export_columns == chosen:
        return procedure
    before = list(procedure.export_columns)
    procedure.export_columns = chosen
    full_clean_or_refuse(procedure)
    procedure.save(update_fields=["export_columns", "updated_at"])
    audit_record(
        action="procedure.export_columns_set",
        actor=actor,
        municipality=procedure.municipality,
        object_type="procedure",
        object_id=str(procedure.public_id),
        request=request,
        details={"before": before, "after": chosen},
    )
    return procedure
