"""Encryption at rest for identity-provider secrets (client secrets and the RP's private JWK).

Uses the platform's SecretBox (core.encryption) under its own label, so these never share a key with TOTP
secrets; every configured key (MFA_ENCRYPTION_KEY, SECRET_KEY, SECRET_KEY_FALLBACKS) can read them.
"""

from __future__ import annotations

from madoguchi.core.encryption import SecretBox

_BOX = SecretBox("madoguchi-identity-secret")


def encrypt(value: str) -> str:
    return _BOX.encrypt(value)


def decrypt(token: str) -> str:
    """Raises SecretUnreadable (a ValueError) when the key changed without a fallback: enter it again."""
    return _BOX.decrypt(token)
