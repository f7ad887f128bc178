"""What a payment can pay for. A module registers a Purpose once (in its AppConfig.ready): payments call it
back when money has been received, and ask it where the resident goes after the hosted payment page.
Payments never import the paying module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Payment


@dataclass(frozen=True)
class Purpose:
    key: str  # "<module>.<thing>", stored on Payment.purpose
    label: str | Promise
    # Called inside the transaction that marks the payment paid (row-locked), in a savepoint: if it raises, the
    # payment stays paid and a fulfilment_failed event says so, so money is never lost with the rollback.
    on_paid: Callable[[Payment, HttpRequest | None], None]
    # Where the resident goes after the hosted page: outcome is "paid", "failed", "canceled" or "pending".
    next_url: Callable[[Payment, str], str]
    # A short reference staff and residents recognise (e.g. the application's 受付番号), or "".
    reference: Callable[[Payment], str]
    # The staff page of the paid-for object, or "".
    staff_url: Callable[[Payment], str]
    # Object ids whose reference is this text (staff search by 受付番号), or none.
    lookup: Callable[[Any, str], list[str]] | None = None
    # What the resident is told on return, per outcome ("failed", "canceled", "pending"): (messages level, text).
    # None: the payments app's texts, which speak of an application not yet sent (the procedures purpose).
    outcome_messages: Mapping[str, tuple[int, str | Promise]] | None = None


_PURPOSES: dict[str, Purpose] = {}


def register(purpose: Purpose) -> None:
    existing = _PURPOSES.get(purpose.key)
    if existing is not None and existing != purpose:
        raise ValueError(f"Payment purpose {purpose.key!r} is registered twice.")
    _PURPOSES[purpose.key] = purpose


def get(key: str) -> Purpose | None:
    return _PURPOSES.get(key)


def lookup(municipality: Any, query: str) -> dict[str, list[str]]:
    """purpose key → object ids that a purpose recognises by this reference."""
    return {key: purpose.lookup(municipality, query) for key, purpose in _PURPOSES.items() if purpose.lookup}


def describe(payment: Any) -> dict[str, str]:
    purpose = _PURPOSES.get(payment.purpose)
    if purpose is None:
        return {"label": payment.purpose, "reference": "", "staff_url": ""}
    return {
        "label": str(purpose.label),
        "reference": purpose.reference(payment),
        "staff_url": purpose.staff_url(payment),
    }
