"""Payments (お支払い) of fees, for any module: what is paid for, how, and everything that happened to it.

A Payment pays for one object of another module, named by a purpose key ("procedures.submission") and the
object's public id, so payments know nothing about procedures (or, later, facility bookings). The amount and
its lines are frozen when the payment is created. Every invariant of the state machine is a database
constraint, so no code path (admin, shell, a future module) can store an impossible payment.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from madoguchi.core.models import Department, MunicipalityOwned

MAX_PAYMENT_AMOUNT = 10_000_000  # yen; far above any fee, far below any integer limit


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("支払い待ち")
    PAID = "paid", _("支払い済み")
    PARTIALLY_REFUNDED = "partially_refunded", _("一部返金済み")
    REFUNDED = "refunded", _("返金済み")
    FAILED = "failed", _("失敗")
    CANCELLED = "cancelled", _("取消し")
    EXPIRED = "expired", _("期限切れ")


# States in which money has been received (and a receipt number exists).
MONEY_RECEIVED = (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
# States that end a payment without money; a new payment may be started for the same object.
ENDED_WITHOUT_MONEY = (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)


class PaymentMethod(models.TextChoices):
    CARD = "card", _("クレジットカード（オンライン）")
    COUNTER = "counter", _("窓口払い")


class PaymentAccount(MunicipalityOwned):
    """A municipality's contract (merchant account) with one online payment provider. The API key and the
    webhook signing secret are encrypted at rest and never shown again after they are entered."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    adapter = models.CharField(_("決済代行"), max_length=40)
    merchant_id = models.CharField(_("加盟店ID"), max_length=100)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    is_enabled = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("決済代行の契約")
        verbose_name_plural = _("決済代行の契約")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "adapter"], name="payment_account_one_per_adapter"),
            models.UniqueConstraint(fields=["adapter", "merchant_id"], name="payment_account_merchant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.adapter}:{self.merchant_id}"

    @property
    def api_key(self) -> str:
        from .crypto import decrypt

        return decrypt(self.api_key_encrypted)

    @property
    def webhook_secret(self) -> str:
        from .crypto import decrypt

        return decrypt(self.webhook_secret_encrypted)

    def set_secrets(self, *, api_key: str | None = None, webhook_secret: str | None = None) -> None:
        from .crypto import encrypt

        if api_key:
            self.api_key_encrypted = encrypt(api_key)
        if webhook_secret:
            self.webhook_secret_encrypted = encrypt(webhook_secret)


class Payment(MunicipalityOwned):
    """One attempt to pay one object's fee. Amount and lines are frozen at creation; the status follows
    pending → paid → partially refunded / refunded, or ends as failed, cancelled or expired."""

    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = ("payer",)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    purpose = models.CharField(_("支払いの対象"), max_length=60)  # e.g. "procedures.submission"
    object_id = models.CharField(_("対象のID"), max_length=64)  # the paid-for object's public id
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    amount = models.PositiveIntegerField(_("金額（円）"))
    lines = models.JSONField(_("内訳"), default=list, blank=True)
    method = models.CharField(_("支払い方法"), max_length=20, choices=PaymentMethod.choices)
    adapter = models.CharField(_("決済代行"), max_length=40)
    status = models.CharField(_("状態"), max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    provider_reference = models.CharField(_("決済代行の取引ID"), max_length=100, blank=True)
    redirect_url = models.CharField(max_length=500, blank=True)
    receipt_number = models.CharField(_("領収番号"), max_length=24, blank=True)
    refunded_amount = models.PositiveIntegerField(_("返金額（円）"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(_("支払日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("お支払い")
        verbose_name_plural = _("お支払い")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, amount__lte=MAX_PAYMENT_AMOUNT), name="payment_amount_in_range"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refund_not_above_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[choice.value for choice in PaymentStatus]),
                name="payment_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=[choice.value for choice in PaymentMethod]),
                name="payment_method_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[s.value for s in MONEY_RECEIVED])
                | (models.Q(paid_at__isnull=False) & ~models.Q(receipt_number="")),
                name="payment_paid_has_time_and_receipt",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in MONEY_RECEIVED]) | models.Q(refunded_amount=0),
                name="payment_refund_only_after_paid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PaymentStatus.REFUNDED) | models.Q(refunded_amount=models.F("amount")),
                name="payment_refunded_in_full",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PaymentStatus.PARTIALLY_REFUNDED)
                | models.Q(refunded_amount__gt=0, refunded_amount__lt=models.F("amount")),
                name="payment_partially_refunded_in_part",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PaymentStatus.PAID) | models.Q(refunded_amount=0),
                name="payment_paid_not_refunded",
            ),
            models.UniqueConstraint(
                fields=["adapter", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="payment_provider_reference_unique",
            ),
            models.UniqueConstraint(
                fields=["municipality", "receipt_number"],
                condition=~models.Q(receipt_number=""),
                name="payment_receipt_unique_per_municipality",
            ),
            # An object is paid for at most once: at most one payment that is pending or has money.
            models.UniqueConstraint(
                fields=["municipality", "purpose", "object_id"],
                condition=~models.Q(status__in=[s.value for s in ENDED_WITHOUT_MONEY]),
                name="payment_one_live_per_object",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "purpose", "object_id"], name="payment_object"),
            models.Index(fields=["municipality", "status", "-created_at"], name="payment_staff_list"),
            models.Index(fields=["municipality", "paid_at"], name="payment_paid_at"),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"payment {self.public_id}"

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.refunded_amount if self.status in MONEY_RECEIVED else 0

    @property
    def is_pending(self) -> bool:
        return self.status == PaymentStatus.PENDING

    @property
    def money_received(self) -> bool:
        return self.status in MONEY_RECEIVED


class PaymentReceiptCounter(MunicipalityOwned):
    """The last 領収番号 issued by a municipality in one 年度, incremented under a row lock."""

    fiscal_year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "fiscal_year"], name="payment_receipt_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}:{self.fiscal_year}:{self.last_number}"


class PaymentEventIsAppendOnly(Exception):
    pass


class PaymentEventQuerySet(models.QuerySet["PaymentEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PaymentEventIsAppendOnly("Payment events are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PaymentEventIsAppendOnly("Payment events are never deleted.")


class PaymentEvent(models.Model):
    """What happened to a payment, append-only. A provider event (a webhook) is stored once per
    (adapter, provider event id): a webhook delivered twice is recorded once."""

    class Kind(models.TextChoices):
        CREATED = "created", _("作成")
        RETURNED = "returned", _("決済画面から戻った")
        WEBHOOK = "webhook", _("決済代行からの通知")
        PAID = "paid", _("支払い済み")
        COUNTER_PAID = "counter_paid", _("窓口で受領")
        FAILED = "failed", _("失敗")
        CANCELLED = "cancelled", _("取消し")
        EXPIRED = "expired", _("期限切れ")
        REFUNDED = "refunded", _("返金")
        MISMATCH = "mismatch", _("不一致")
        FULFILMENT_FAILED = "fulfilment_failed", _("支払い後の処理に失敗")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    adapter = models.CharField(max_length=40)
    provider_event_id = models.CharField(max_length=100, blank=True)
    amount = models.IntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(
        municipality="payment__municipality", _manager_class=models.Manager.from_queryset(PaymentEventQuerySet)
    )

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["adapter", "provider_event_id"],
                condition=~models.Q(provider_event_id=""),
                name="payment_event_once_per_provider_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}:{self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PaymentEventIsAppendOnly("Payment events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PaymentEventIsAppendOnly("Payment events are never deleted.")


class TestGatewayCharge(models.Model):
    """The test gateway's own record of a checkout (the provider's side, not Madoguchi's). Exists only so the
    built-in test gateway behaves like a real hosted-payment provider; keyed by merchant, not scoped."""

    __test__ = False  # not a pytest test class

    class Status(models.TextChoices):
        OPEN = "open", "open"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELED = "canceled", "canceled"

    reference = models.CharField(max_length=40, unique=True)
    merchant_id = models.CharField(max_length=100, db_index=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="JPY")
    description = models.CharField(max_length=200, blank=True)
    client_reference = models.CharField(max_length=64)  # the merchant's payment id
    success_url = models.CharField(max_length=500)
    cancel_url = models.CharField(max_length=500)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    refunded_amount = models.PositiveIntegerField(default=0)
    card_last4 = models.CharField(max_length=4, blank=True)
    decline_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("amount")), name="test_gateway_refund_not_above"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class TestGatewayEvent(models.Model):
    """A webhook event the test gateway sends (kept so a retry delivers exactly the same body twice)."""

    __test__ = False

    event_id = models.CharField(max_length=40, unique=True)
    charge = models.ForeignKey(TestGatewayCharge, on_delete=models.CASCADE, related_name="events")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return self.event_id
