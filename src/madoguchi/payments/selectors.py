"""Reads of payments, always filtered by municipality (and, for staff, by what they may see)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise

from madoguchi.accounts.models import Role, StaffMembership
from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Municipality
from madoguchi.core.selectors import module_is_enabled, module_settings
from madoguchi.core.tenancy import get_object_in_municipality

from .adapters import ADAPTERS, PaymentAdapter
from .models import ENDED_WITHOUT_MONEY, MONEY_RECEIVED, Payment, PaymentAccount, PaymentMethod

MODULE_KEY = "payments"


@dataclass(frozen=True)
class MethodChoice:
    method: str
    adapter: PaymentAdapter
    account: PaymentAccount | None
    label: str | Promise


def account_for(municipality: Municipality, adapter_key: str) -> PaymentAccount | None:
    return PaymentAccount.objects.filter(municipality=municipality, adapter=adapter_key, is_enabled=True).first()


def payment_methods_for(municipality: Municipality) -> list[MethodChoice]:
    """The methods a resident of this municipality may choose now, in display order (card first).

    Online card payment needs the payments module switched on with `card` allowed, an enabled merchant account
    and an adapter this deployment offers. 窓口払い is offered when `counter` is allowed — and always when
    nothing else is, because a fee that is due can always be paid at the counter."""
    choices: list[MethodChoice] = []
    settings = module_settings(municipality, MODULE_KEY)
    if module_is_enabled(municipality, MODULE_KEY) and settings.get("card"):
        for adapter in ADAPTERS.values():
            if adapter.method != PaymentMethod.CARD or not adapter.is_available():
                continue
            account = account_for(municipality, adapter.key)
            if account is not None:
                choices.append(MethodChoice(PaymentMethod.CARD, adapter, account, PaymentMethod.CARD.label))
                break
    if settings.get("counter", True) or not choices:
        counter = ADAPTERS["counter"]
        choices.append(MethodChoice(PaymentMethod.COUNTER, counter, None, PaymentMethod.COUNTER.label))
    return choices


def payment_live_for_object(municipality: Municipality, purpose: str, object_id: str) -> Payment | None:
    """The payment that is pending or has money for this object (at most one, by a database constraint)."""
    return (
        Payment.objects.filter(municipality=municipality, purpose=purpose, object_id=str(object_id))
        .exclude(status__in=ENDED_WITHOUT_MONEY)
        .first()
    )


def payments_for_object(municipality: Municipality, purpose: str, object_id: str) -> list[Payment]:
    return list(
        Payment.objects.filter(municipality=municipality, purpose=purpose, object_id=str(object_id)).order_by(
            "-created_at"
        )
    )


def payment_status_map(municipality: Municipality, purpose: str, object_ids: list[str]) -> dict[str, Payment]:
    """object id → its live payment, for a page of objects in one query (the inbox)."""
    rows = (
        Payment.objects.filter(municipality=municipality, purpose=purpose, object_id__in=[str(i) for i in object_ids])
        .exclude(status__in=ENDED_WITHOUT_MONEY)
        .only("object_id", "status", "method", "amount", "receipt_number")
    )
    return {row.object_id: row for row in rows}


def payment_get(municipality: Municipality, public_id: str) -> Payment:
    return get_object_in_municipality(Payment.objects.all(), municipality, public_id=public_id)


def payment_get_for_payer(municipality: Municipality, user: Any, public_id: str) -> Payment:
    """A resident's own payment with money received (the receipt), else 404."""
    if not getattr(user, "is_authenticated", False):
        from django.http import Http404

        raise Http404
    return get_object_in_municipality(
        Payment.objects.filter(payer=user, status__in=MONEY_RECEIVED), municipality, public_id=public_id
    )


def _staff_scope(user: Any, municipality: Municipality) -> frozenset[int] | None:
    """None: every payment. Counter staff take payments for every 課; department staff see their own 課's."""
    scope = department_scope(user, municipality)
    if scope is None:
        return None
    if StaffMembership.objects.filter(
        municipality=municipality, user=user, role=Role.COUNTER_STAFF, is_active=True
    ).exists():
        return None
    return scope


def payment_list_for_staff(
    municipality: Municipality, user: Any, *, status: str = "", method: str = "", query: str = ""
) -> QuerySet[Payment]:
    items = Payment.objects.filter(municipality=municipality).select_related("department").order_by("-created_at")
    scope = _staff_scope(user, municipality)
    if scope is not None:
        items = items.filter(department_id__in=scope)
    if status:
        items = items.filter(status=status)
    if method:
        items = items.filter(method=method)
    if query:
        from . import purposes

        matches = Q(receipt_number__iexact=query) | Q(provider_reference__iexact=query)
        for purpose, object_ids in purposes.lookup(municipality, query).items():
            if object_ids:
                matches |= Q(purpose=purpose, object_id__in=object_ids)
        items = items.filter(matches)
    return items


def payment_get_for_staff(municipality: Municipality, user: Any, public_id: str) -> Payment:
    """One payment this staff member may see, or 404 (another municipality's or another 課's)."""
    queryset = Payment.objects.select_related("department", "payer")
    scope = _staff_scope(user, municipality)
    if scope is not None:
        queryset = queryset.filter(department_id__in=scope)
    return get_object_in_municipality(queryset, municipality, public_id=public_id)


def paid_counts_by_method(
    municipality: Municipality, *, purpose_prefix: str, start: datetime.datetime, end: datetime.datetime
) -> dict[str, int]:
    """method → number of payments with money received in [start, end) (refunded ones were paid too)."""
    rows = (
        Payment.objects.filter(
            municipality=municipality,
            purpose__startswith=purpose_prefix,
            status__in=MONEY_RECEIVED,
            paid_at__gte=start,
            paid_at__lt=end,
        )
        .values("method")
        .annotate(count=Count("pk"))
    )
    return {row["method"]: row["count"] for row in rows}


def payments_unfulfilled(municipality: Municipality, purpose: str, *, limit: int = 50) -> list[Payment]:
    """Money received that its purpose could not use (a `fulfilment_failed` event, e.g. a 仮予約 that expired
    before the money arrived) and that is not refunded in full yet: staff must refund it. Oldest first."""
    from .models import PaymentEvent, PaymentStatus

    return list(
        Payment.objects.filter(
            municipality=municipality,
            purpose=purpose,
            status__in=(PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED),
            events__kind=PaymentEvent.Kind.FULFILMENT_FAILED,
        )
        .distinct()
        .order_by("paid_at", "pk")[:limit]
    )
