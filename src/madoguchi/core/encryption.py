"""Encryption at rest for stored secrets (staff TOTP secrets, identity-provider client secrets and keys).

New values are encrypted with MFA_ENCRYPTION_KEY when it is set, else SECRET_KEY. Values are read with any of
MFA_ENCRYPTION_KEY, SECRET_KEY and SECRET_KEY_FALLBACKS, so introducing MFA_ENCRYPTION_KEY on a running
deployment, or rotating SECRET_KEY with the old key kept as a fallback, never makes stored secrets unreadable.
Each kind of secret derives its own key (a label), so two kinds never share one.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(ValueError):
    """No configured key opens this value: it must be entered (or enrolled) again."""


class SecretBox:
    def __init__(self, label: str):
        self.label = label

    def _fernet_for(self, material: str) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"{self.label}:{material}".encode()).digest()))

    def _keys(self) -> MultiFernet:
        materials = [settings.MFA_ENCRYPTION_KEY, settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        unique = list(dict.fromkeys(str(material) for material in materials if material))
        return MultiFernet([self._fernet_for(material) for material in unique])

    def encrypt(self, value: str) -> str:
        return self._keys().encrypt(value.encode()).decode() if value else ""

    def decrypt(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self._keys().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(f"A stored {self.label} cannot be decrypted with the configured keys.") from exc
