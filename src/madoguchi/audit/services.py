"""Writing the audit log. Every service that changes data, and every staff read of personal data, calls
audit_record inside its transaction, so the event exists exactly when the change does."""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from madoguchi.core.models import Municipality

from .models import AuditEvent

# Keys whose values must never reach the log, however a caller names them.
_SECRET_KEY_PARTS = ("password", "secret", "token", "otp", "code_verifier", "recovery", "key")


def _without_secrets(details: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if any(part in key.lower() for part in _SECRET_KEY_PARTS):
            clean[key] = "[redacted]"
        elif isinstance(value, dict):
            clean[key] = _without_secrets(value)
        else:
            clean[key] = value
    return clean


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the X-Forwarded-For entry
    that the outermost trusted proxy saw (entries further left are client-supplied and can be forged)."""
    if request is None:
        return None
    from django.conf import settings

    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                # A malformed header must not pool unrelated clients under one "unknown" address.
                return request.META.get("REMOTE_ADDR") or None
            return candidate
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor: Any = None,
    municipality: Municipality | None = None,
    object_type: str = "",
    object_id: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `actor` is a user or None (anonymous / system); details are stripped of secrets."""
    event = audit_event(
        action=action,
        actor=actor,
        municipality=municipality,
        object_type=object_type,
        object_id=object_id,
        request=request,
        details=details,
    )
    event.save(force_insert=True)
    return event


def audit_record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append several events of one write (built by audit_event) in a single INSERT, in this order."""
    return AuditEvent.objects.bulk_create(events)


def audit_event(
    *,
    action: str,
    actor: Any = None,
    municipality: Municipality | None = None,
    object_type: str = "",
    object_id: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The event audit_record appends, not yet saved: for audit_record_all."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        actor=actor if is_user else None,
        actor_label=(actor.email if is_user else (str(actor) if actor else "system")),
        municipality=municipality,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        ip_address=client_ip(request),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        details=_without_secrets(details or {}),
    )


def audit_personal_data_viewed(
    *, actor: Any, municipality: Municipality, object_type: str, object_id: str, fields: list[str], request: HttpRequest
) -> AuditEvent:
    """Record that a staff member saw a resident's personal data, naming the fields shown (never values)."""
    return audit_record(
        action="personal_data.view",
        actor=actor,
        municipality=municipality,
        object_type=object_type,
        object_id=object_id,
        request=request,
        details={"fields": fields},
    )


@transaction.atomic
def audit_prune_platform_events(*, now: datetime.datetime | None = None) -> int:
    """Apply AUDIT_PLATFORM_RETENTION_DAYS to events that belong to no municipality (sign-ins, profiles)."""
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.AUDIT_PLATFORM_RETENTION_DAYS)
    expired = AuditEvent.objects.filter(municipality__isnull=True, occurred_at__lt=cutoff)
    deleted = expired._raw_delete(using=connection.alias)
    if deleted:
        audit_record(action="audit.pruned", details={"deleted": deleted, "before": cutoff.isoformat()})
    return deleted


@transaction.atomic
def audit_prune_expired(*, municipality: Municipality, now: datetime.datetime | None = None) -> int:
    """Delete this municipality's events older than its retention period; returns how many went.

    The one sanctioned delete path: it bypasses the append-only queryset with a raw delete and records
    the pruning itself as an event, so the log says when and how much was removed.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=municipality.audit_retention_days)
    expired = AuditEvent.objects.filter(municipality=municipality, occurred_at__lt=cutoff)
    # _raw_delete skips the append-only guard on purpose: this is the retention policy, not an edit.
    deleted = expired._raw_delete(using=connection.alias)
    if deleted:
        audit_record(
            action="audit.pruned",
            municipality=municipality,
            details={
                "deleted": deleted,
                "before": cutoff.isoformat(),
                "retention_days": municipality.audit_retention_days,
            },
        )
    return deleted
