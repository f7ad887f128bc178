"""Demo procedures: the common presets enabled and published in each demo municipality (development only)."""

from __future__ import annotations

from madoguchi.core.models import Municipality

from .models import Procedure
from .presets import PRESETS
from .services import procedure_preset_enable

# The national 子育て・介護 procedures plus the certificates and everyday requests residents use most.
DEMO_PRESET_KEYS = tuple(preset.key for preset in PRESETS)


def seed_procedures(municipality: Municipality) -> None:
    for key in DEMO_PRESET_KEYS:
        procedure = procedure_preset_enable(municipality=municipality, actor=None, key=key, request=None)
        if not procedure.is_published:
            Procedure.objects.filter(pk=procedure.pk).update(is_published=True)
