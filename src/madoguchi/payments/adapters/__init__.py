"""Payment adapters by key. A real provider plugs in by adding one module here and one line to ADAPTERS
(docs/payments.md, "Plugging in a real gateway")."""

from __future__ import annotations

from .base import (
    Checkout,
    PaymentAdapter,
    ProviderError,
    ProviderEvent,
    ProviderPayment,
    RefundResult,
    ReturnRejected,
    WebhookRejected,
)
from .counter import CounterAdapter
from .test_gateway import TestGatewayAdapter

ADAPTERS: dict[str, PaymentAdapter] = {adapter.key: adapter for adapter in (CounterAdapter(), TestGatewayAdapter())}


def get_adapter(key: str) -> PaymentAdapter:
    """The adapter registered under this key (KeyError for an unknown key)."""
    return ADAPTERS[key]


__all__ = [
    "ADAPTERS",
    "Checkout",
    "PaymentAdapter",
    "ProviderError",
    "ProviderEvent",
    "ProviderPayment",
    "RefundResult",
    "ReturnRejected",
    "WebhookRejected",
    "get_adapter",
]
