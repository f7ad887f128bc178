"""The built-in test gateway: a hosted-payment provider served by Madoguchi itself, for demos and tests.

It plays the provider's side only, with its own tables (TestGatewayCharge, TestGatewayEvent) and its own
API, authenticated by the merchant's API key, exactly like a real provider would be reached over HTTPS:
create a checkout, retrieve, cancel, refund and list charges. The resident pays on its hosted page
(/payments/test-gateway/checkout/<ref>/), is sent back with signed parameters, and every outcome is also
sent as a signed webhook by a background task (so it can arrive before or after the return, and a retry
delivers the same event twice). Enabled only when PAYMENTS_TEST_GATEWAY_ENABLED is true (never in
production: `check --deploy` warns). Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from .adapters.base import ProviderError
from .models import PaymentAccount, TestGatewayCharge, TestGatewayEvent
from .signing import WEBHOOK_HEADER, sign_return, sign_webhook

ADAPTER_KEY = "test_gateway"
SUCCEEDING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
TEST_CARDS = {SUCCEEDING_CARD: "", DECLINED_CARD: "card_declined"}
MAX_DELIVERY_ATTEMPTS = 3


def enabled() -> bool:
    return bool(getattr(settings, "PAYMENTS_TEST_GATEWAY_ENABLED", False))


def _require_enabled() -> None:
    if not enabled():
        raise ProviderError("The test gateway is switched off on this deployment.")


def _merchant(merchant_id: str) -> PaymentAccount:
    with scopes_disabled():
        account = (
            PaymentAccount.objects.select_related("municipality")
            .filter(adapter=ADAPTER_KEY, merchant_id=merchant_id, is_enabled=True)
            .first()
        )
    if account is None:
        raise ProviderError("Unknown merchant.")
    return account


def _authenticate(merchant_id: str, api_key: str) -> PaymentAccount:
    _require_enabled()
    account = _merchant(merchant_id)
    if not api_key or not hmac.compare_digest(account.api_key.encode(), api_key.encode()):
        raise ProviderError("Invalid API key.")
    return account


def _charge(merchant_id: str, reference: str, *, lock: bool = False) -> TestGatewayCharge:
    queryset = TestGatewayCharge.objects.select_for_update() if lock else TestGatewayCharge.objects.all()
    charge = queryset.filter(merchant_id=merchant_id, reference=reference).first()
    if charge is None:
        raise ProviderError("No such charge.")
    return charge


def charge_as_dict(charge: TestGatewayCharge) -> dict[str, Any]:
    return {
        "reference": charge.reference,
        "status": charge.status,
        "amount": charge.amount,
        "currency": charge.currency,
        "refunded_amount": charge.refunded_amount,
        "client_reference": charge.client_reference,
        "created": int(charge.created_at.timestamp()),
        "decline_code": charge.decline_code,
    }


# --- The provider's API (what a real adapter would call over HTTPS) ------------------------------------------


@transaction.atomic
def create_checkout(
    *,
    merchant_id: str,
    api_key: str,
    amount: int,
    currency: str,
    client_reference: str,
    description: str,
    success_url: str,
    cancel_url: str,
) -> dict[str, Any]:
    _authenticate(merchant_id, api_key)
    if currency != "JPY" or isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= 10_000_000:
        raise ProviderError("Invalid amount or currency.")
    charge = TestGatewayCharge.objects.create(
        reference=f"tg_ch_{secrets.token_hex(12)}",
        merchant_id=merchant_id,
        amount=amount,
        currency=currency,
        client_reference=client_reference,
        description=description[:200],
        success_url=success_url,
        cancel_url=cancel_url,
    )
    url = reverse("payments_test_gateway:checkout", kwargs={"reference": charge.reference})
    return {**charge_as_dict(charge), "url": url}


def retrieve_charge(*, merchant_id: str, api_key: str, reference: str) -> dict[str, Any]:
    _authenticate(merchant_id, api_key)
    return charge_as_dict(_charge(merchant_id, reference))


@transaction.atomic
def cancel_charge(*, merchant_id: str, api_key: str, reference: str) -> dict[str, Any]:
    _authenticate(merchant_id, api_key)
    charge = _charge(merchant_id, reference, lock=True)
    if charge.status == TestGatewayCharge.Status.OPEN:
        charge.status = TestGatewayCharge.Status.CANCELED
        charge.save(update_fields=["status", "updated_at"])
    return charge_as_dict(charge)


@transaction.atomic
def refund_charge(
    *, merchant_id: str, api_key: str, reference: str, amount: int, idempotency_key: str
) -> dict[str, Any]:
    _authenticate(merchant_id, api_key)
    charge = _charge(merchant_id, reference, lock=True)
    event_id = "evt_re_" + hashlib.sha256(f"{merchant_id}:{idempotency_key}".encode()).hexdigest()[:24]
    if TestGatewayEvent.objects.filter(event_id=event_id).exists():
        return {"refund_id": event_id, "amount": amount}  # the same request again: refunded once
    if charge.status != TestGatewayCharge.Status.SUCCEEDED:
        raise ProviderError("Only a succeeded charge can be refunded.")
    if amount < 1 or charge.refunded_amount + amount > charge.amount:
        raise ProviderError("The refund exceeds what is left of the charge.")
    charge.refunded_amount += amount
    charge.save(update_fields=["refunded_amount", "updated_at"])
    _emit(charge, "refund.succeeded", event_id=event_id, extra={"refund_amount": amount})
    return {"refund_id": event_id, "amount": amount}


def list_charges(
    *, merchant_id: str, api_key: str, start: datetime.datetime, end: datetime.datetime
) -> list[dict[str, Any]]:
    _authenticate(merchant_id, api_key)
    charges = TestGatewayCharge.objects.filter(
        merchant_id=merchant_id, created_at__gte=start, created_at__lt=end
    ).order_by("created_at")
    return [charge_as_dict(charge) for charge in charges]


# --- The hosted page's actions ------------------------------------------------------------------------------


def checkout_get(reference: str) -> tuple[TestGatewayCharge, PaymentAccount]:
    _require_enabled()
    charge = TestGatewayCharge.objects.filter(reference=reference).first()
    if charge is None:
        raise ProviderError("No such charge.")
    return charge, _merchant(charge.merchant_id)


def _return_url(charge: TestGatewayCharge, account: PaymentAccount, base: str, status: str) -> str:
    from urllib.parse import urlencode

    params = sign_return(account.webhook_secret, ref=charge.reference, status=status, payment=charge.client_reference)
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


@transaction.atomic
def checkout_pay(reference: str, card_number: str) -> tuple[TestGatewayCharge, str | None]:
    """Charge the card: (charge, URL to send the resident back to) — the URL is None when the card was
    declined (the hosted page shows why and lets the resident try another card or cancel)."""
    _require_enabled()
    charge = TestGatewayCharge.objects.select_for_update().filter(reference=reference).first()
    if charge is None:
        raise ProviderError("No such charge.")
    account = _merchant(charge.merchant_id)
    if charge.status == TestGatewayCharge.Status.SUCCEEDED:
        return charge, _return_url(charge, account, charge.success_url, "succeeded")
    if charge.status != TestGatewayCharge.Status.OPEN:
        raise ProviderError("This checkout is closed.")
    decline = TEST_CARDS[card_number]
    charge.card_last4 = card_number[-4:]
    if decline:
        charge.decline_code = decline
        charge.save(update_fields=["card_last4", "decline_code", "updated_at"])
        _emit(charge, "payment.failed")
        return charge, None
    charge.status = TestGatewayCharge.Status.SUCCEEDED
    charge.decline_code = ""
    charge.save(update_fields=["status", "card_last4", "decline_code", "updated_at"])
    _emit(charge, "payment.succeeded")
    return charge, _return_url(charge, account, charge.success_url, "succeeded")


@transaction.atomic
def checkout_cancel(reference: str) -> str:
    """The resident gave up on the hosted page: close the checkout and send them back (signed)."""
    _require_enabled()
    charge = TestGatewayCharge.objects.select_for_update().filter(reference=reference).first()
    if charge is None:
        raise ProviderError("No such charge.")
    account = _merchant(charge.merchant_id)
    if charge.status == TestGatewayCharge.Status.OPEN:
        charge.status = TestGatewayCharge.Status.CANCELED
        charge.save(update_fields=["status", "updated_at"])
        _emit(charge, "payment.canceled")
    if charge.status == TestGatewayCharge.Status.SUCCEEDED:
        return _return_url(charge, account, charge.success_url, "succeeded")
    return _return_url(charge, account, charge.cancel_url, "canceled")


# --- Webhooks ----------------------------------------------------------------------------------------------


def _emit(
    charge: TestGatewayCharge, kind: str, *, event_id: str | None = None, extra: dict[str, Any] | None = None
) -> TestGatewayEvent:
    event_id = event_id or f"evt_{secrets.token_hex(12)}"
    body = json.dumps(
        {
            "id": event_id,
            "type": kind,
            "created": int(timezone.now().timestamp()),
            "data": {**charge_as_dict(charge), **(extra or {})},
        },
        separators=(",", ":"),
    )
    event = TestGatewayEvent.objects.create(event_id=event_id, charge=charge, body=body)
    transaction.on_commit(lambda: deliver_webhook.enqueue(event_id=event_id))
    return event


def signed_delivery(event_id: str) -> tuple[PaymentAccount, dict[str, str], bytes]:
    """What the gateway sends for one event: the account it is for, the headers and the raw body."""
    event = TestGatewayEvent.objects.select_related("charge").get(event_id=event_id)
    account = _merchant(event.charge.merchant_id)
    body = event.body.encode()
    return account, {WEBHOOK_HEADER: sign_webhook(account.webhook_secret, body)}, body


@task()
def deliver_webhook(*, event_id: str) -> int:
    """POST-equivalent of one event to the merchant's webhook handler (in process: the same service the
    /payments/webhooks/… endpoint calls, with the same signature checks). Returns the status it got; a
    failure is retried up to MAX_DELIVERY_ATTEMPTS times, so an event may be delivered more than once."""
    from .services import webhook_receive

    if not enabled():
        return 503
    account, headers, body = signed_delivery(event_id)
    status = webhook_receive(adapter_key=ADAPTER_KEY, account_id=str(account.public_id), headers=headers, body=body)
    with transaction.atomic():
        event = TestGatewayEvent.objects.select_for_update().get(event_id=event_id)
        event.attempts += 1
        if status < 300:
            event.delivered_at = timezone.now()
        event.save(update_fields=["attempts", "delivered_at"])
    if status >= 500 and event.attempts < MAX_DELIVERY_ATTEMPTS and deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=timezone.now() + datetime.timedelta(seconds=30)).enqueue(event_id=event_id)
    return status
