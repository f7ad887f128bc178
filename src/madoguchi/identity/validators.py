"""Field validators (kept apart from models so migrations reference a small, stable module)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_endpoint_url(value: str) -> None:
    """Endpoints must use HTTPS; plain HTTP is accepted only on the loopback interface (local fakes)."""
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ValidationError(_("https:// で始まるURLを入力してください。"), code="insecure_url")
