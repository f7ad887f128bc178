"""Adapter for the built-in test gateway (payments/testgateway.py), written exactly as an adapter for a real
hosted-payment provider would be: every call goes through the provider's API with the merchant's API key;
the return redirect and webhooks are believed only after their HMAC signature checks out."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..signing import WEBHOOK_HEADER, SignatureError, verify_return, verify_webhook
from .base import Checkout, ProviderError, ProviderEvent, ProviderPayment, RefundResult, ReturnRejected, WebhookRejected

EVENT_KINDS = frozenset({"payment.succeeded", "payment.failed", "payment.canceled", "refund.succeeded"})
MAX_WEBHOOK_BODY = 64 * 1024


def _provider_payment(data: Mapping[str, Any]) -> ProviderPayment:
    try:
        created = data.get("created")
        return ProviderPayment(
            reference=str(data["reference"]),
            # The gateway's "open" (the resident may still try another card) is "pending" for us.
            status={"open": "pending"}.get(str(data["status"]), str(data["status"])),
            amount=int(data["amount"]),
            currency=str(data.get("currency", "JPY")),
            refunded_amount=int(data.get("refunded_amount", 0)),
            client_reference=str(data.get("client_reference", "")),
            created_at=datetime.datetime.fromtimestamp(int(created), tz=datetime.UTC) if created else None,
            decline_code=str(data.get("decline_code", "")),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ProviderError("The provider sent a transaction Madoguchi cannot read.") from exc


class TestGatewayAdapter:
    __test__ = False

    key = "test_gateway"
    method = "card"
    label: str | Promise = _("クレジットカード（テスト用決済）")
    needs_account = True

    def is_available(self) -> bool:
        from .. import testgateway

        return testgateway.enabled()

    @staticmethod
    def _credentials(account: Any) -> dict[str, str]:
        if account is None:
            raise ProviderError("The test gateway needs a merchant account.")
        return {"merchant_id": account.merchant_id, "api_key": account.api_key}

    def create(self, *, payment: Any, account: Any, return_url: str, cancel_url: str) -> Checkout:
        from .. import testgateway

        result = testgateway.create_checkout(
            **self._credentials(account),
            amount=payment.amount,
            currency="JPY",
            client_reference=str(payment.public_id),
            description=payment.purpose,
            success_url=return_url,
            cancel_url=cancel_url,
        )
        return Checkout(reference=result["reference"], redirect_url=result["url"])

    def confirm(self, *, payment: Any, account: Any, params: Mapping[str, str]) -> ProviderPayment:
        if account is None:
            raise ReturnRejected("No merchant account.")
        try:
            verified = verify_return(account.webhook_secret, dict(params))
        except SignatureError as exc:
            raise ReturnRejected(str(exc)) from exc
        if verified["ref"] != payment.provider_reference or verified["payment"] != str(payment.public_id):
            raise ReturnRejected("The return names another transaction.")
        # The redirect only says "look now": what happened is what the provider's API says.
        return self.retrieve(account=account, reference=payment.provider_reference)

    def parse_webhook(
        self, *, account: Any, headers: Mapping[str, str], body: bytes, now: datetime.datetime | None = None
    ) -> list[ProviderEvent]:
        if len(body) > MAX_WEBHOOK_BODY:
            raise WebhookRejected("too_large", "The webhook body is too large.")
        try:
            verify_webhook(
                account.webhook_secret, headers.get(WEBHOOK_HEADER), body, now=now.timestamp() if now else None
            )
        except SignatureError as exc:
            raise WebhookRejected(f"signature_{exc.code}", str(exc)) from exc
        try:
            payload = json.loads(body)
            event_id, kind, data = str(payload["id"]), str(payload["type"]), payload["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed", "The webhook body is not a valid event.") from exc
        if kind not in EVENT_KINDS or not isinstance(data, dict) or not event_id or len(event_id) > 100:
            raise WebhookRejected("malformed", "The webhook event is of an unknown kind.")
        try:
            provider_payment = _provider_payment(data)
        except ProviderError as exc:
            raise WebhookRejected("malformed", str(exc)) from exc
        return [ProviderEvent(event_id=event_id, kind=kind, payment=provider_payment, raw=payload)]

    def retrieve(self, *, account: Any, reference: str) -> ProviderPayment:
        from .. import testgateway

        return _provider_payment(testgateway.retrieve_charge(**self._credentials(account), reference=reference))

    def cancel(self, *, payment: Any, account: Any) -> None:
        from .. import testgateway

        if payment.provider_reference:
            testgateway.cancel_charge(**self._credentials(account), reference=payment.provider_reference)

    def refund(self, *, payment: Any, account: Any, amount: int, idempotency_key: str) -> RefundResult:
        from .. import testgateway

        result = testgateway.refund_charge(
            **self._credentials(account),
            reference=payment.provider_reference,
            amount=amount,
            idempotency_key=idempotency_key,
        )
        return RefundResult(refund_id=result["refund_id"], amount=int(result["amount"]))

    def list_transactions(
        self, *, account: Any, start: datetime.datetime, end: datetime.datetime
    ) -> list[ProviderPayment]:
        from .. import testgateway

        return [
            _provider_payment(item)
            for item in testgateway.list_charges(**self._credentials(account), start=start, end=end)
        ]
