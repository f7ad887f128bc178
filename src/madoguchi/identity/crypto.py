"""Encryption at rest for identity-provider secrets (client secrets and the RP's private JWK).

Same approach as the TOTP secrets in accounts.mfa: Fernet with a key derived from MFA_ENCRYPTION_KEY (the
setting for stored second-factor and identity-provider secrets) or, when that is unset, SECRET_KEY — under
its own derivation label, so the two never share a key. Without MFA_ENCRYPTION_KEY, SECRET_KEY_FALLBACKS are
honoured for reading, so rotating SECRET_KEY keeps stored secrets readable until they are saved again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_LABEL = "madoguchi-identity-secret"


def _fernet_for(material: str) -> Fernet:
    key = base64.urlsafe_b64encode(hashlib.sha256(f"{_LABEL}:{material}".encode()).digest())
    return Fernet(key)


def _fernet() -> MultiFernet:
    dedicated = getattr(settings, "MFA_ENCRYPTION_KEY", "")
    if dedicated:
        return MultiFernet([_fernet_for(dedicated)])
    materials = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(material) for material in materials])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # the key changed without a fallback: the secret must be entered again
        raise ValueError("Identity provider secret cannot be decrypted with the current key.") from exc
