"""Idempotent writes: a replay with the same Idempotency-Key returns the first result, never a second record.

The record is inserted in the same transaction as the write it guards. A concurrent request with the same key
blocks on the unique index (PostgreSQL) or on the write lock (SQLite, IMMEDIATE transactions) until the first
commits, then finds the finished record and returns its stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .errors import ServiceError
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(request.path.encode())
    if request.content_type == "multipart/form-data":
        # The raw body cannot be read once the upload is parsed, and its boundary is random per attempt: a
        # retry of the same content must match, so the parts are fingerprinted instead (names, values, and
        # each file's name and SHA-256), in a fixed order.
        for name, values in sorted(request.POST.lists()):
            if name == "csrfmiddlewaretoken":
                continue  # rotates between attempts; it is not part of what is asked
            for value in values:
                digest.update(json.dumps(["field", name, value]).encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                content = hashlib.sha256()
                upload.seek(0)
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(json.dumps(["file", name, upload.name, content.hexdigest()]).encode())
    else:
        digest.update(request.body or b"")
    return digest.hexdigest()


def _key(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "").strip()
    if key and (len(key) > MAX_KEY_LENGTH or not key.isprintable()):
        raise ServiceError(
            "idempotency_key_invalid", _("Idempotency-Key は200文字以内の印字可能な文字にしてください。")
        )
    return key


def _answer_from(existing: IdempotencyRecord, fingerprint: str) -> tuple[int, Any]:
    if existing.request_fingerprint != fingerprint:
        raise ServiceError(
            "idempotency_key_reused",
            _("この Idempotency-Key は別の内容の送信に使われています。新しいキーで送信してください。"),
            status=422,
        )
    return existing.status_code, existing.response_body  # type: ignore[return-value]


def earlier_response(request: HttpRequest, *, scope: str) -> tuple[int, Any] | None:
    """For a request refused by checks made before run_idempotent (so that they hold no transaction open):
    the answer run_idempotent would have given it first — the stored response of its key, or
    idempotency_key_reused when the key was used for other content. None without a key or a finished record
    (the refusal stands). One query, on the refusal path only."""
    key = _key(request)
    if not key:
        return None
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key, status_code__isnull=False).first()
    if existing is None:
        return None
    return _answer_from(existing, _fingerprint(request))


def run_idempotent(request: HttpRequest, *, scope: str, operation: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run `operation` (returning status and a JSON-serialisable body) at most once per (scope, key)."""
    key = _key(request)
    if not key:
        with transaction.atomic():
            return operation()
    fingerprint = _fingerprint(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, request_fingerprint=fingerprint)
            status, body = operation()
            # Store exactly what the client will see, so a replay is byte-for-byte the same answer.
            stored = json.loads(json.dumps(body, default=str))
            record.status_code = status
            record.response_body = stored
            record.save(update_fields=["status_code", "response_body"])
            return status, stored
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None or existing.status_code is None:
            raise
    return _answer_from(existing, fingerprint)
