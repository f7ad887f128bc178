"""Login throttling that never reveals whether an account exists.

Failures are counted per attempted e-mail address (existing or not) and per client IP in the shared cache;
once over the limit every attempt is refused with the same message, correct password or not.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _email_key(email: str) -> str:
    return "login-fail:email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _ip_key(ip: str | None) -> str:
    return f"login-fail:ip:{ip or 'unknown'}"


def is_locked_out(email: str, ip: str | None) -> bool:
    return (cache.get(_email_key(email), 0) >= settings.LOGIN_MAX_FAILURES) or (
        cache.get(_ip_key(ip), 0) >= settings.LOGIN_MAX_FAILURES_PER_IP
    )


def _increment(key: str) -> None:
    if not cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def record_failure(email: str, ip: str | None) -> None:
    _increment(_email_key(email))
    _increment(_ip_key(ip))


def clear_failures(email: str) -> None:
    cache.delete(_email_key(email))
