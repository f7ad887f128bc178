"""TOTP (RFC 6238) secrets, codes and recovery codes for staff sign-in."""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp

from madoguchi.core.encryption import SecretBox

TOTP_PERIOD = 30
# Accept the previous and next 30 s step as well: phone clocks drift.
TOTP_VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed from paper


_BOX = SecretBox("madoguchi-totp")


def new_secret() -> str:
    return pyotp.random_base32()


def encrypt_secret(secret: str) -> str:
    return _BOX.encrypt(secret)


def decrypt_secret(token: str) -> str:
    """Raises SecretUnreadable (a ValueError) when no configured key opens it: enrol the device again."""
    return _BOX.decrypt(token)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_PERIOD).provisioning_uri(name=account, issuer_name=issuer)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step a 6-digit code belongs to (within the allowed drift), or None."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_PERIOD)
    now = time.time() if now is None else now
    current = int(now // TOTP_PERIOD)
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def recovery_digest(code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(f"madoguchi-recovery:{normalized}".encode()).hexdigest()
