"""Webhook and return-redirect signatures: HMAC-SHA256, the scheme hosted-payment providers use.

Webhook header: `Madoguchi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`.
The signature covers the raw bytes (never a re-serialised body), the timestamp bounds replays to
WEBHOOK_TOLERANCE_SECONDS either side, and comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

WEBHOOK_HEADER = "Madoguchi-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300
MAX_SIGNATURE_HEADER = 1000


class SignatureError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={_mac(secret, str(stamp).encode() + b'.' + body)}"


def verify_webhook(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
) -> int:
    """The signed timestamp, or SignatureError(missing | malformed | stale | mismatch)."""
    if not secret:
        raise SignatureError("no_secret", "No webhook secret is configured for this account.")
    if not header:
        raise SignatureError("missing", "The signature header is missing.")
    if len(header) > MAX_SIGNATURE_HEADER:
        raise SignatureError("malformed", "The signature header is too long.")
    stamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            stamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if stamp is None or not candidates:
        raise SignatureError("malformed", "The signature header has no timestamp or no v1 signature.")
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise SignatureError("stale", "The signature timestamp is outside the tolerance.")
    expected = _mac(secret, str(stamp).encode() + b"." + body)
    # Every candidate is compared (no early exit on the first), each in constant time.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("mismatch", "The signature does not match the body.")
    return stamp


RETURN_FIELDS = ("ref", "status", "payment", "t")


def sign_return(secret: str, *, ref: str, status: str, payment: str, timestamp: int | None = None) -> dict[str, str]:
    """Query parameters of a return redirect, signed so the resident's browser cannot change them."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    message = ".".join((stamp, ref, status, payment)).encode()
    return {"ref": ref, "status": status, "payment": payment, "t": stamp, "sig": _mac(secret, message)}


def verify_return(
    secret: str, params: dict[str, str], *, now: float | None = None, tolerance: int = WEBHOOK_TOLERANCE_SECONDS
) -> dict[str, str]:
    """The verified parameters, or SignatureError(malformed | stale | mismatch)."""
    if not secret:
        raise SignatureError("no_secret", "No signing secret is configured for this account.")
    values = {name: str(params.get(name, "")) for name in (*RETURN_FIELDS, "sig")}
    if not all(values.values()) or not values["t"].isdigit() or any(len(v) > 200 for v in values.values()):
        raise SignatureError("malformed", "The return parameters are incomplete.")
    current = time.time() if now is None else now
    if abs(current - int(values["t"])) > tolerance:
        raise SignatureError("stale", "The return signature is too old.")
    message = ".".join(values[name] for name in ("t", "ref", "status", "payment")).encode()
    if not hmac.compare_digest(_mac(secret, message), values["sig"]):
        raise SignatureError("mismatch", "The return signature does not match.")
    return values
