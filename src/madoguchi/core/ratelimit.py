"""Rate limits on public write endpoints (sign-up, password reset, verification e-mails, identity sign-in).

A fixed window per client address and endpoint in the shared cache (Redis when configured), so every web
process counts together. Over the limit the request gets a 429 page saying when to try again; nothing is
written and no e-mail is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class RateLimited(Exception):
    """Raised by API code over a limit; the API answers 429 in the error shape with Retry-After."""

    def __init__(self, retry_after: int):
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


def api_rate_limit(request: HttpRequest, bucket: str) -> None:
    """Count one API write per client address and, when signed in, per account (an office behind one address
    is not stopped by one busy colleague's limit alone, and one account cannot spread over many addresses)."""
    from madoguchi.audit.services import client_ip

    limit, window = settings.RATE_LIMITS[bucket]
    keys = [f"ip:{client_ip(request) or 'unknown'}"]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(f"user:{user.pk}")
    for key in keys:
        if not hit(bucket, key, limit=limit, window_seconds=window):
            raise RateLimited(window)


def hit(bucket: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use; True while the caller is within the limit."""
    cache_key = f"madoguchi:rate:{bucket}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window ended between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return True
    return count <= limit


def rate_limit(
    bucket: str, *, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Limit a view per client address. Limits come from settings.RATE_LIMITS[bucket] = (count, seconds)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                from madoguchi.audit.services import client_ip

                limit, window = settings.RATE_LIMITS[bucket]
                if not hit(bucket, client_ip(request) or "unknown", limit=limit, window_seconds=window):
                    response = render(request, "core/429.html", {"minutes": max(1, window // 60)}, status=429)
                    response["Retry-After"] = str(window)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
