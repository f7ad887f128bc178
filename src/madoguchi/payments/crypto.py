"""Encryption at rest for payment-provider secrets (API keys and webhook signing secrets).

The platform's SecretBox under its own label: never the key of TOTP or identity-provider secrets; every
configured key (MFA_ENCRYPTION_KEY, SECRET_KEY, SECRET_KEY_FALLBACKS) can read them.
"""

from __future__ import annotations

from madoguchi.core.encryption import SecretBox

_BOX = SecretBox("madoguchi-payment-secret")


def encrypt(value: str) -> str:
    return _BOX.encrypt(value)


def decrypt(token: str) -> str:
    """Raises SecretUnreadable (a ValueError) when the key changed without a fallback: enter it again."""
    return _BOX.decrypt(token)
