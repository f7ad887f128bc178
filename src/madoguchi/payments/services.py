"""Writes to payments. Every change locks the payment row first (then, through the purpose callback, the
paid-for object), so a return redirect and one or more webhooks arriving together mark a payment paid —
and fulfil what it pays for — exactly once, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from madoguchi.audit.services import audit_record
from madoguchi.core.dates import era_of, fiscal_year
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Department, Municipality
from madoguchi.core.tenancy import municipality_scope

from . import purposes
from .adapters import ADAPTERS, ProviderError, ProviderEvent, ProviderPayment, ReturnRejected, WebhookRejected
from .models import (
    ENDED_WITHOUT_MONEY,
    MAX_PAYMENT_AMOUNT,
    Payment,
    PaymentAccount,
    PaymentEvent,
    PaymentMethod,
    PaymentReceiptCounter,
    PaymentStatus,
)
from .selectors import account_for, payment_methods_for

logger = logging.getLogger(__name__)


def _audit(
    payment: Payment, action: str, *, actor: Any = None, request: HttpRequest | None = None, **details: Any
) -> None:
    audit_record(
        action=action,
        actor=actor,
        municipality=payment.municipality,
        object_type="payment",
        object_id=str(payment.public_id),
        request=request,
        details={"purpose": payment.purpose, "object": payment.object_id, **details},
    )


def _event(
    payment: Payment, kind: str, *, actor: Any = None, amount: int | None = None, event_id: str = "", **data: Any
) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        adapter=payment.adapter,
        provider_event_id=event_id,
        amount=amount,
        data=data,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _account(payment: Payment) -> PaymentAccount | None:
    adapter = ADAPTERS[payment.adapter]
    return account_for(payment.municipality, payment.adapter) if adapter.needs_account else None


def receipt_number_issue(*, municipality: Municipality, when: datetime.datetime | None = None) -> str:
    """The next 領収番号 of this municipality's 年度, e.g. HK-R8-P000042; the counter row stays locked until the
    surrounding transaction commits, so numbers are unique and gap-free."""
    local = timezone.localtime(when or timezone.now()).date()
    year = fiscal_year(local)
    counter, _created = PaymentReceiptCounter.objects.get_or_create(municipality=municipality, fiscal_year=year)
    counter = PaymentReceiptCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    era = era_of(datetime.date(year, 4, 1))
    era_label = f"{era.letter}{year - era.start.year + 1}" if era else str(year)
    return f"{municipality.receipt_prefix}-{era_label}-P{counter.last_number:06d}"


# --- Starting and cancelling -------------------------------------------------------------------------------


def _lines_as_json(lines: list[Any]) -> list[dict[str, Any]]:
    result = []
    for line in lines:
        if isinstance(line, Mapping):
            result.append(dict(line))
        else:  # engine.fees.FeeLine
            result.append(
                {
                    "label": str(line.label),
                    "unit": line.unit,
                    "quantity": line.quantity,
                    "amount": line.amount,
                    "code": line.code,
                }
            )
    return result


@transaction.atomic
def payment_start(
    *,
    municipality: Municipality,
    purpose: str,
    object_id: str,
    amount: int,
    lines: list[Any],
    method: str,
    payer: Any,
    department: Department | None,
    request: HttpRequest | None,
) -> Payment:
    """A payment for this object's fee by the chosen method, frozen at this amount and these lines.

    Idempotent: while a pending payment with the same amount, lines and method exists it is returned again
    (a double click opens the same checkout). A pending payment for another amount (the answers changed) is
    cancelled first. An object that already has money received gets that payment back, never a second one."""
    if purposes.get(purpose) is None:
        raise ServiceError("unknown_purpose", _("この支払いの対象はありません。"), status=404)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_PAYMENT_AMOUNT:
        raise ServiceError("amount_invalid", _("お支払いの金額が正しくありません。"))
    choice = next((item for item in payment_methods_for(municipality) if item.method == method), None)
    if choice is None:
        raise ServiceError("method_not_allowed", _("お支払い方法を選んでください。"), field="method")
    frozen_lines = _lines_as_json(lines)
    if sum(int(line.get("amount", 0)) for line in frozen_lines) != amount:
        raise ServiceError("amount_invalid", _("お支払いの金額が内訳と合いません。"))
    existing = list(
        Payment.objects.select_for_update()
        .filter(municipality=municipality, purpose=purpose, object_id=str(object_id))
        .exclude(status__in=ENDED_WITHOUT_MONEY)
    )
    for payment in existing:
        if payment.money_received:
            return payment
        if payment.amount == amount and payment.lines == frozen_lines and payment.method == method:
            return payment
        _cancel(payment, reason="stale", request=request)
    payment = Payment(
        municipality=municipality,
        purpose=purpose,
        object_id=str(object_id),
        department=department,
        payer=payer if getattr(payer, "is_authenticated", False) else None,
        amount=amount,
        lines=frozen_lines,
        method=method,
        adapter=choice.adapter.key,
    )
    try:
        payment.full_clean(validate_constraints=False)  # the database enforces the constraints (below)
    except ValidationError as exc:
        raise ServiceError("invalid", _("お支払いの金額が正しくありません。")) from exc
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Another request started this object's payment at the same moment (double click, parallel tabs) and
        # has committed it: the unique index made us wait for it. Use that one.
        concurrent = (
            Payment.objects.select_for_update()
            .filter(municipality=municipality, purpose=purpose, object_id=str(object_id))
            .exclude(status__in=ENDED_WITHOUT_MONEY)
            .first()
        )
        if concurrent is not None and (
            concurrent.money_received
            or (concurrent.amount == amount and concurrent.lines == frozen_lines and concurrent.method == method)
        ):
            return concurrent
        raise ServiceError(
            "payment_in_progress",
            _("別の画面でお支払いの手続が進んでいます。この画面を再読み込みしてから、もう一度お試しください。"),
            field="method",
            status=409,
        ) from None
    if choice.adapter.needs_account or method != PaymentMethod.COUNTER:
        return_url = reverse(
            "payments:return", kwargs={"municipality_slug": municipality.slug, "payment_id": payment.public_id}
        )
        try:
            checkout = choice.adapter.create(
                payment=payment, account=choice.account, return_url=return_url, cancel_url=return_url
            )
        except ProviderError as exc:
            logger.warning("payment %s: the provider refused the checkout: %s", payment.public_id, exc)
            raise ServiceError(
                "provider_unavailable",
                _(
                    "決済サービスに接続できませんでした。しばらくしてからもう一度お試しいただくか、窓口払いを選んでください。"
                ),
                field="method",
                status=502,
            ) from exc
        payment.provider_reference = checkout.reference
        payment.redirect_url = checkout.redirect_url or ""
        payment.save(update_fields=["provider_reference", "redirect_url", "updated_at"])
    _event(payment, PaymentEvent.Kind.CREATED, amount=amount, method=method)
    _audit(payment, "payment.created", actor=payer, request=request, amount=amount, method=method)
    return payment


def _cancel(payment: Payment, *, reason: str, request: HttpRequest | None, actor: Any = None) -> None:
    """Cancel a locked pending payment and close its checkout at the provider."""
    try:
        ADAPTERS[payment.adapter].cancel(payment=payment, account=_account(payment))
    except ProviderError as exc:  # the checkout may already be closed; ours is cancelled regardless
        logger.warning("payment %s: closing the checkout failed: %s", payment.public_id, exc)
    payment.status = PaymentStatus.CANCELLED
    payment.save(update_fields=["status", "updated_at"])
    _event(payment, PaymentEvent.Kind.CANCELLED, actor=actor, reason=reason)
    _audit(payment, "payment.cancelled", actor=actor, request=request, reason=reason)


@transaction.atomic
def payment_cancel_pending(
    *, municipality: Municipality, purpose: str, object_id: str, reason: str, request: HttpRequest | None
) -> int:
    """Cancel the object's pending payment (if any), e.g. because what it pays for changed. Returns how many."""
    pending = list(
        Payment.objects.select_for_update().filter(
            municipality=municipality, purpose=purpose, object_id=str(object_id), status=PaymentStatus.PENDING
        )
    )
    for payment in pending:
        _cancel(payment, reason=reason, request=request)
    return len(pending)


def payments_expire(*, municipality: Municipality, before: datetime.datetime) -> int:
    """Online payments still pending that were started before `before` expire (the resident left the hosted
    page); their checkouts are closed. 窓口払い never expires: the resident pays when they come. Each payment
    is handled in its own transaction, locked, so a payment that is being paid right now is left alone."""
    candidates = list(
        Payment.objects.filter(municipality=municipality, status=PaymentStatus.PENDING, created_at__lt=before)
        .exclude(method=PaymentMethod.COUNTER)
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in candidates:
        with transaction.atomic():
            locked = Payment.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=pk)
            if locked.status != PaymentStatus.PENDING:
                continue
            try:
                ADAPTERS[locked.adapter].cancel(payment=locked, account=_account(locked))
            except ProviderError as exc:
                logger.warning("payment %s: closing the expired checkout failed: %s", locked.public_id, exc)
            locked.status = PaymentStatus.EXPIRED
            locked.save(update_fields=["status", "updated_at"])
            _event(locked, PaymentEvent.Kind.EXPIRED)
            _audit(locked, "payment.expired")
            expired += 1
    return expired


# --- Money received -----------------------------------------------------------------------------------------


def _fulfil(payment: Payment, request: HttpRequest | None) -> None:
    purpose = purposes.get(payment.purpose)
    if purpose is None:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here never undoes "paid"
            purpose.on_paid(payment, request)
    except Exception as exc:
        logger.exception("payment %s: fulfilling %s failed", payment.public_id, payment.purpose)
        _event(payment, PaymentEvent.Kind.FULFILMENT_FAILED, error=type(exc).__name__)
        _audit(payment, "payment.fulfilment_failed", request=request, error=type(exc).__name__)


def _mark_paid(
    payment: Payment,
    *,
    source: str,
    request: HttpRequest | None,
    actor: Any = None,
    provider: ProviderPayment | None = None,
) -> bool:
    """Record money received on a locked payment (once). False when nothing changed."""
    if payment.money_received:
        return False
    if provider is not None and (
        provider.amount != payment.amount
        or provider.currency != "JPY"
        or (provider.client_reference and provider.client_reference != str(payment.public_id))
    ):
        _event(
            payment,
            PaymentEvent.Kind.MISMATCH,
            amount=provider.amount,
            source=source,
            currency=provider.currency,
            reference=provider.reference,
        )
        _audit(payment, "payment.mismatch", request=request, ours=payment.amount, theirs=provider.amount)
        return False
    if payment.status in ENDED_WITHOUT_MONEY:
        # Paid after we cancelled it (an old tab). Take the money only if nothing else pays for the object.
        other = (
            Payment.objects.filter(
                municipality=payment.municipality, purpose=payment.purpose, object_id=payment.object_id
            )
            .exclude(pk=payment.pk)
            .exclude(status__in=ENDED_WITHOUT_MONEY)
            .exists()
        )
        if other:
            _event(
                payment, PaymentEvent.Kind.MISMATCH, amount=payment.amount, source=source, reason="paid_after_cancel"
            )
            _audit(payment, "payment.mismatch", request=request, reason="paid_after_cancel")
            return False
    payment.status = PaymentStatus.PAID
    payment.paid_at = timezone.now()
    payment.receipt_number = receipt_number_issue(municipality=payment.municipality, when=payment.paid_at)
    full_clean_or_refuse(payment)
    payment.save(update_fields=["status", "paid_at", "receipt_number", "updated_at"])
    kind = PaymentEvent.Kind.COUNTER_PAID if source == "counter" else PaymentEvent.Kind.PAID
    _event(payment, kind, actor=actor, amount=payment.amount, source=source, receipt_number=payment.receipt_number)
    _audit(
        payment,
        "payment.paid",
        actor=actor,
        request=request,
        source=source,
        amount=payment.amount,
        receipt_number=payment.receipt_number,
    )
    _fulfil(payment, request)
    return True


def _mark_ended(payment: Payment, status: str, *, source: str, request: HttpRequest | None, decline: str = "") -> bool:
    if payment.status != PaymentStatus.PENDING:
        return False
    payment.status = status
    payment.save(update_fields=["status", "updated_at"])
    kind = PaymentEvent.Kind.FAILED if status == PaymentStatus.FAILED else PaymentEvent.Kind.CANCELLED
    _event(payment, kind, source=source, decline_code=decline)
    _audit(payment, f"payment.{status}", request=request, source=source, decline_code=decline)
    return True


def _apply_provider_state(
    payment: Payment, provider: ProviderPayment, *, source: str, request: HttpRequest | None
) -> None:
    if provider.status == "succeeded":
        _mark_paid(payment, source=source, request=request, provider=provider)
    elif provider.status == "failed":
        _mark_ended(payment, PaymentStatus.FAILED, source=source, request=request, decline=provider.decline_code)
    elif provider.status == "canceled":
        _mark_ended(payment, PaymentStatus.CANCELLED, source=source, request=request)


_OUTCOMES: dict[str, str] = {
    PaymentStatus.FAILED: "failed",
    PaymentStatus.CANCELLED: "canceled",
    PaymentStatus.EXPIRED: "canceled",
}


def _outcome(payment: Payment) -> str:
    return "paid" if payment.money_received else _OUTCOMES.get(str(payment.status), "pending")


@transaction.atomic
def payment_confirm_return(*, payment: Payment, params: Mapping[str, str], request: HttpRequest | None) -> str:
    """The resident is back from the hosted page: verify the signed parameters, ask the provider what happened
    and record it. Returns "paid", "failed", "canceled", "pending" (not settled yet, or the parameters could
    not be believed: the webhook will settle it)."""
    locked = Payment.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=payment.pk)
    if locked.money_received or locked.status != PaymentStatus.PENDING:
        return _outcome(locked)
    adapter = ADAPTERS[locked.adapter]
    try:
        provider = adapter.confirm(payment=locked, account=_account(locked), params=params)
    except ReturnRejected as exc:
        _audit(locked, "payment.return_rejected", request=request, reason=str(exc)[:200])
        return "pending"
    except ProviderError as exc:
        logger.warning("payment %s: retrieving after the return failed: %s", locked.public_id, exc)
        return "pending"
    _event(locked, PaymentEvent.Kind.RETURNED, amount=provider.amount, status=provider.status)
    _apply_provider_state(locked, provider, source="return", request=request)
    return _outcome(locked)


@transaction.atomic
def payment_record_counter(*, payment: Payment, actor: Any, request: HttpRequest | None) -> Payment:
    """Staff took the fee at the counter (窓口払い): the payment is paid and a 領収番号 issued."""
    locked = Payment.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=payment.pk)
    if locked.method != PaymentMethod.COUNTER:
        raise ServiceError("not_counter", _("このお支払いは窓口払いではありません。"))
    if locked.money_received:
        raise ServiceError(
            "already_paid",
            _("このお支払いはすでに受領済みです（領収番号 %(number)s）。") % {"number": locked.receipt_number},
        )
    if locked.status != PaymentStatus.PENDING:
        raise ServiceError(
            "not_pending", _("「%(status)s」のお支払いは受領できません。") % {"status": locked.get_status_display()}
        )
    _mark_paid(locked, source="counter", actor=actor, request=request)
    if locked.payer is not None and locked.payer.email:
        send_templated_email(
            to=locked.payer.email,
            template="payments/email/paid",
            context={"payment": locked, "municipality": locked.municipality, **purposes.describe(locked)},
            language=locked.payer.preferred_language,
        )
    return locked


@transaction.atomic
def payment_refund(*, payment: Payment, actor: Any, amount: Any, reason: str, request: HttpRequest | None) -> Payment:
    """Refund part or all of what is left of a paid payment (e.g. after 却下), through its adapter."""
    if not str(reason or "").strip():
        raise ServiceError("reason_required", _("返金の理由を入力してください。"), field="reason")
    locked = Payment.objects.select_for_update(of=("self",)).select_related("municipality").get(pk=payment.pk)
    if not locked.money_received or locked.refundable_amount <= 0:
        raise ServiceError("not_refundable", _("このお支払いは返金できません（未受領、または返金済み）。"))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ServiceError("amount_invalid", _("返金額は1円以上の整数で入力してください。"), field="amount")
    if amount > locked.refundable_amount:
        raise ServiceError(
            "amount_too_large",
            _("返金額は返金できる残りの金額（%(left)s円）以下にしてください。")
            % {"left": f"{locked.refundable_amount:,}"},
            field="amount",
        )
    try:
        result = ADAPTERS[locked.adapter].refund(
            payment=locked,
            account=_account(locked),
            amount=amount,
            idempotency_key=f"{locked.public_id}:{locked.refunded_amount}:{amount}",
        )
    except ProviderError as exc:
        logger.warning("payment %s: refund refused by the provider: %s", locked.public_id, exc)
        raise ServiceError(
            "provider_refused", _("決済サービスが返金を受け付けませんでした。時間をおいてもう一度お試しください。")
        ) from exc
    locked.refunded_amount += amount
    locked.status = (
        PaymentStatus.REFUNDED if locked.refunded_amount == locked.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    full_clean_or_refuse(locked)
    locked.save(update_fields=["refunded_amount", "status", "updated_at"])
    _event(
        locked, PaymentEvent.Kind.REFUNDED, actor=actor, amount=amount, refund_id=result.refund_id, reason=reason[:500]
    )
    _audit(
        locked, "payment.refunded", actor=actor, request=request, amount=amount, refunded_total=locked.refunded_amount
    )
    if locked.payer is not None and locked.payer.email:
        send_templated_email(
            to=locked.payer.email,
            template="payments/email/refunded",
            context={
                "payment": locked,
                "amount": amount,
                "municipality": locked.municipality,
                **purposes.describe(locked),
            },
            language=locked.payer.preferred_language,
        )
    return locked


# --- Webhooks -------------------------------------------------------------------------------------------------


def webhook_receive(*, adapter_key: str, account_id: str, headers: Mapping[str, str], body: bytes) -> int:
    """Handle one webhook delivery; returns the HTTP status to answer. 200: recorded (or a repeat of an event
    already recorded); 400: not believed (signature, timestamp, body); 404: unknown account or payment;
    422: believed but inconsistent with our payment (amount, currency) — recorded for reconciliation."""
    adapter = ADAPTERS.get(adapter_key)
    if adapter is None or not adapter.needs_account:
        return 404
    with scopes_disabled():
        try:
            account = (
                PaymentAccount.objects.select_related("municipality")
                .filter(adapter=adapter_key, public_id=account_id, is_enabled=True)
                .first()
            )
        except (ValueError, ValidationError):  # a malformed id is unknown
            account = None
    if account is None:
        return 404
    try:
        events = adapter.parse_webhook(account=account, headers=headers, body=body)
    except WebhookRejected as exc:
        logger.warning("webhook for %s rejected: %s (%s)", account.public_id, exc.code, exc)
        return 400
    status = 200
    with municipality_scope(account.municipality):
        for event in events:
            status = max(status, _webhook_event(account, adapter_key, event))
    return status


@transaction.atomic
def _webhook_event(account: PaymentAccount, adapter_key: str, event: ProviderEvent) -> int:
    payment = (
        Payment.objects.select_for_update()
        .select_related("municipality")
        .filter(municipality=account.municipality, adapter=adapter_key, provider_reference=event.payment.reference)
        .first()
    )
    if payment is None:
        logger.warning("webhook %s names an unknown transaction %s", event.event_id, event.payment.reference)
        return 404
    # The payment row is locked: a concurrent delivery of the same event waits here, then sees ours.
    if PaymentEvent.objects.filter(adapter=adapter_key, provider_event_id=event.event_id).exists():
        return 200
    try:
        with transaction.atomic():
            _event(
                payment,
                PaymentEvent.Kind.WEBHOOK,
                amount=event.payment.amount,
                event_id=event.event_id,
                type=event.kind,
            )
    except IntegrityError:
        return 200  # recorded by a concurrent delivery after all
    before = payment.status
    if event.kind == "payment.succeeded":
        _mark_paid(payment, source="webhook", request=None, provider=event.payment)
        if not payment.money_received and before == PaymentStatus.PENDING:
            return 422
    elif event.kind == "payment.failed" and event.payment.status == "failed":
        # Only a checkout the provider closed is a failure; a declined card on a page that lets the resident
        # try another card is just recorded (the webhook event above).
        _mark_ended(payment, PaymentStatus.FAILED, source="webhook", request=None, decline=event.payment.decline_code)
    elif event.kind == "payment.canceled":
        _mark_ended(payment, PaymentStatus.CANCELLED, source="webhook", request=None)
    elif event.kind == "refund.succeeded" and payment.money_received:
        refunded = event.payment.refunded_amount
        if payment.refunded_amount < refunded <= payment.amount:  # a refund made in the provider's dashboard
            payment.refunded_amount = refunded
            payment.status = PaymentStatus.REFUNDED if refunded == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
            payment.save(update_fields=["refunded_amount", "status", "updated_at"])
            _audit(payment, "payment.refunded", source="webhook", refunded_total=refunded)
    return 200


# --- Reconciliation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    kind: str  # missing_here | not_paid_here | missing_at_provider | not_paid_at_provider | amount_differs | refund_differs
    adapter: str
    reference: str
    payment: str  # our public id, or ""
    ours: str
    theirs: str


def _compare(mine: Payment | None, their: ProviderPayment | None) -> tuple[str, str, str] | None:
    """(kind, ours, theirs) when our record and the provider's disagree about money, else None."""
    paid_there = their is not None and their.status == "succeeded"
    paid_here = mine is not None and mine.money_received
    if mine is None:
        return ("missing_here", "—", f"{their.status} {their.amount}") if their is not None and paid_there else None
    if their is None:
        return ("missing_at_provider", f"{mine.status} {mine.amount}", "—") if paid_here else None
    if paid_there and not paid_here:
        return ("not_paid_here", mine.status, their.status)
    if paid_here and not paid_there:
        return ("not_paid_at_provider", mine.status, their.status)
    if paid_here and their.amount != mine.amount:
        return ("amount_differs", str(mine.amount), str(their.amount))
    if paid_here and their.refunded_amount != mine.refunded_amount:
        return ("refund_differs", str(mine.refunded_amount), str(their.refunded_amount))
    return None


def payments_reconcile(
    *, municipality: Municipality, start: datetime.datetime, end: datetime.datetime, actor: Any = None
) -> list[Mismatch]:
    """Compare each provider's transactions created in [start, end) with our payments, and report every
    difference. Changes nothing but the audit log (`payment.reconciled`): a person decides what to do."""
    mismatches: list[Mismatch] = []
    accounts = PaymentAccount.objects.filter(municipality=municipality, is_enabled=True).order_by("adapter")
    for account in accounts:
        adapter = ADAPTERS.get(account.adapter)
        if adapter is None or not adapter.is_available():
            continue
        theirs = {item.reference: item for item in adapter.list_transactions(account=account, start=start, end=end)}
        ours = {
            payment.provider_reference: payment
            for payment in Payment.objects.filter(
                municipality=municipality, adapter=account.adapter, created_at__gte=start, created_at__lt=end
            ).exclude(provider_reference="")
        }
        for reference in sorted(set(theirs) | set(ours)):
            found = _compare(ours.get(reference), theirs.get(reference))
            if found is not None:
                mine = ours.get(reference)
                kind, ours_text, theirs_text = found
                mismatches.append(
                    Mismatch(
                        kind, account.adapter, reference, str(mine.public_id) if mine else "", ours_text, theirs_text
                    )
                )
    audit_record(
        action="payment.reconciled",
        actor=actor,
        municipality=municipality,
        object_type="municipality",
        object_id=municipality.slug,
        details={"start": start.isoformat(), "end": end.isoformat(), "mismatches": len(mismatches)},
    )
    return mismatches


# --- Configuration ------------------------------------------------------------------------------------------------


@transaction.atomic
def payment_account_save(
    *,
    municipality: Municipality,
    adapter_key: str,
    merchant_id: str,
    api_key: str = "",
    webhook_secret: str = "",
    is_enabled: bool = True,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> PaymentAccount:
    """Create or update the municipality's merchant account for one adapter; secrets left empty are kept."""
    if adapter_key not in ADAPTERS or not ADAPTERS[adapter_key].needs_account:
        raise ServiceError("unknown_adapter", _("この決済代行は使えません。"), field="adapter")
    account = PaymentAccount.objects.select_for_update().filter(municipality=municipality, adapter=adapter_key).first()
    created = account is None
    if account is None:
        account = PaymentAccount(municipality=municipality, adapter=adapter_key)
    account.merchant_id = merchant_id.strip()
    account.is_enabled = is_enabled
    account.set_secrets(api_key=api_key, webhook_secret=webhook_secret)
    if not account.api_key_encrypted or not account.webhook_secret_encrypted:
        raise ServiceError(
            "secret_required", _("APIキーとWebhookの署名シークレットを入力してください。"), field="api_key"
        )
    full_clean_or_refuse(account)
    account.save()
    audit_record(
        action="payment.account_created" if created else "payment.account_updated",
        actor=actor,
        municipality=municipality,
        object_type="payment_account",
        object_id=str(account.public_id),
        request=request,
        details={"adapter": adapter_key, "merchant_id": account.merchant_id, "enabled": is_enabled},
    )
    return account
