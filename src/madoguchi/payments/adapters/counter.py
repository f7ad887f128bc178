"""窓口払い: the resident pays cash (or the counter's own terminal) when collecting; staff record it."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .base import Checkout, ProviderError, ProviderEvent, ProviderPayment, RefundResult


class CounterAdapter:
    key = "counter"
    method = "counter"
    label: str | Promise = _("窓口払い")
    needs_account = False

    def is_available(self) -> bool:
        return True

    def create(self, *, payment: Any, account: Any, return_url: str, cancel_url: str) -> Checkout:
        return Checkout(reference="", redirect_url=None)

    def confirm(self, *, payment: Any, account: Any, params: Mapping[str, str]) -> ProviderPayment:
        raise ProviderError("A counter payment is recorded by staff, not confirmed by a redirect.")

    def parse_webhook(
        self, *, account: Any, headers: Mapping[str, str], body: bytes, now: datetime.datetime | None = None
    ) -> list[ProviderEvent]:
        raise ProviderError("The counter sends no webhooks.")

    def retrieve(self, *, account: Any, reference: str) -> ProviderPayment:
        raise ProviderError("The counter has no provider to ask.")

    def cancel(self, *, payment: Any, account: Any) -> None:
        return None

    def refund(self, *, payment: Any, account: Any, amount: int, idempotency_key: str) -> RefundResult:
        # Cash goes back over the counter; the record is ours alone.
        return RefundResult(refund_id=f"counter_re_{secrets.token_hex(8)}", amount=amount)

    def list_transactions(
        self, *, account: Any, start: datetime.datetime, end: datetime.datetime
    ) -> list[ProviderPayment]:
        return []
