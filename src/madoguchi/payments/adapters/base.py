"""The payment adapter interface: what Madoguchi asks of any payment provider.

An adapter turns the provider's API into five operations — create, confirm (from the return redirect),
handle a webhook, refund, reconcile (list) — and nothing else. Adapters never write to the database of
Madoguchi: services call them, check what they report and record it. See docs/payments.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from ..models import Payment, PaymentAccount


class ProviderError(Exception):
    """The provider refused or could not be reached; nothing was charged or refunded."""


class WebhookRejected(Exception):
    """A webhook that must not be believed: bad or missing signature, stale timestamp, malformed body."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class ReturnRejected(Exception):
    """A return redirect whose parameters were not signed by the provider (tampered, forged or stale)."""


@dataclass(frozen=True)
class Checkout:
    """What create() returns: the provider's reference and where to send the resident (None: no redirect,
    e.g. 窓口払い)."""

    reference: str
    redirect_url: str | None


@dataclass(frozen=True)
class ProviderPayment:
    """The provider's view of one transaction. status: "succeeded", "failed", "pending" or "canceled"."""

    reference: str
    status: str
    amount: int
    currency: str = "JPY"
    refunded_amount: int = 0
    client_reference: str = ""  # our Payment.public_id, as we gave it to the provider
    created_at: datetime.datetime | None = None
    decline_code: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """One event parsed from a verified webhook. kind: "payment.succeeded", "payment.failed",
    "payment.canceled" or "refund.succeeded"."""

    event_id: str
    kind: str
    payment: ProviderPayment
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int


@runtime_checkable
class PaymentAdapter(Protocol):
    """Every adapter has these attributes and methods (a Protocol: adapters need not inherit anything)."""

    key: str  # registry key, stored on Payment.adapter and PaymentAccount.adapter
    method: str  # PaymentMethod value the resident chooses ("card", "counter")
    label: str | Promise
    needs_account: bool  # True when a PaymentAccount (merchant contract, secrets) is required

    def is_available(self) -> bool:
        """False when the deployment has switched this adapter off (e.g. the test gateway in production)."""

    def create(self, *, payment: Payment, account: PaymentAccount | None, return_url: str, cancel_url: str) -> Checkout:
        """Open a checkout for payment.amount (JPY) and return where the resident goes next."""

    def confirm(
        self, *, payment: Payment, account: PaymentAccount | None, params: Mapping[str, str]
    ) -> ProviderPayment:
        """Verify the return redirect's parameters (raise ReturnRejected) and then *retrieve* the transaction
        from the provider: the redirect says that something happened, only the provider says what."""

    def parse_webhook(
        self, *, account: PaymentAccount, headers: Mapping[str, str], body: bytes, now: datetime.datetime | None = None
    ) -> list[ProviderEvent]:
        """Verify the signature over the raw body (raise WebhookRejected) and return its events."""

    def retrieve(self, *, account: PaymentAccount | None, reference: str) -> ProviderPayment:
        """The provider's current record of one transaction."""

    def cancel(self, *, payment: Payment, account: PaymentAccount | None) -> None:
        """Close an open checkout so it can no longer be paid (stale payments)."""

    def refund(
        self, *, payment: Payment, account: PaymentAccount | None, amount: int, idempotency_key: str
    ) -> RefundResult:
        """Refund part or all of a paid transaction; the same idempotency_key never refunds twice."""

    def list_transactions(
        self, *, account: PaymentAccount | None, start: datetime.datetime, end: datetime.datetime
    ) -> list[ProviderPayment]:
        """The provider's transactions created in [start, end), for reconciliation."""
