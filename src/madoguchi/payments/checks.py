"""`check --deploy` warns when the built-in test gateway is switched on in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def test_gateway_off_in_production(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if getattr(settings, "IS_PRODUCTION", False) and getattr(settings, "PAYMENTS_TEST_GATEWAY_ENABLED", False):
        return [
            Warning(
                "The payments test gateway is enabled in production: anyone can 'pay' with a test card.",
                hint="Unset PAYMENTS_TEST_GATEWAY (or set it to false) in production.",
                id="madoguchi.payments.W001",
            )
        ]
    return []
