"""Demo payments (development only): card (through the built-in test gateway) and 窓口払い allowed, with a
test-gateway merchant account whose secrets are random and encrypted like real ones."""

from __future__ import annotations

import secrets

from madoguchi.core.models import ModuleActivation, Municipality

from .manifest import KEY
from .models import PaymentAccount
from .services import payment_account_save


def seed_payments(municipality: Municipality) -> None:
    ModuleActivation.objects.update_or_create(
        municipality=municipality,
        module_key=KEY,
        defaults={"enabled": True, "settings": {"card": True, "counter": True}},
    )
    municipality.__dict__.pop("_module_activation_cache", None)
    if not PaymentAccount.objects.filter(municipality=municipality, adapter="test_gateway").exists():
        payment_account_save(
            municipality=municipality,
            adapter_key="test_gateway",
            merchant_id=f"demo-{municipality.slug}",
            api_key=f"tg_sk_{secrets.token_urlsafe(24)}",
            webhook_secret=f"tg_whsec_{secrets.token_urlsafe(24)}",
        )
