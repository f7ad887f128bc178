"""Demo procedures: every preset enabled and published in each demo municipality (development only), with the
form engine's example form live on 住民票の写し等交付申請 so the online journey can be tried — including its fee
(300円/通), payable by card through the built-in test gateway or at the counter."""

from __future__ import annotations

from madoguchi.core.models import Municipality

from .builder import form_definition_publish
from .engine.examples import example_json
from .models import FormVersion, IdentityLevel, Procedure
from .presets import PRESETS
from .services import procedure_preset_enable

DEMO_PRESET_KEYS = tuple(preset.key for preset in PRESETS)


def seed_procedures(municipality: Municipality) -> None:
    from madoguchi.payments.demo import seed_payments

    seed_payments(municipality)
    for key in DEMO_PRESET_KEYS:
        procedure = procedure_preset_enable(municipality=municipality, actor=None, key=key, request=None)
        if not procedure.is_published:
            Procedure.objects.filter(pk=procedure.pk).update(is_published=True)
    juminhyo = Procedure.objects.get(municipality=municipality, preset_key="juminhyo")
    if not FormVersion.objects.filter(procedure=juminhyo).exists():
        form_definition_publish(procedure=juminhyo, actor=None, request=None, definition=example_json("juminhyo"))
        # The demo has no identity provider configured, so account sign-in stands in for the My Number Card.
        Procedure.objects.filter(pk=juminhyo.pk).update(identity_level=IdentityLevel.ACCOUNT)
