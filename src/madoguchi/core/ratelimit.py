"""Rate limits on public write endpoints (sign-up, password reset, verification e-mails, identity sign-in).

A fixed window per client address and endpoint, counted where every web process sees the same number: in
Redis when it is configured, else in the database (core.RateCounter, one upsert per use). Over the limit the
request gets a 429 page saying when to try again; nothing is written and no e-mail is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .errors import ServiceError


class RateLimited(ServiceError):
    """Raised by API code over a limit: the API's ServiceError handler answers 429 in the error shape, with
    Retry-After from `retry_after`."""

    def __init__(self, retry_after: int, message: Any = None):
        super().__init__(
            "rate_limited",
            message or _("短時間に多くのリクエストがありました。しばらくたってから、もう一度お試しください。"),
            status=429,
        )
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
    if not _counts_in_cache():
        return _count_in_database(cache_key, window_seconds) <= limit
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window ended between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return True
    return count <= limit


def _counts_in_cache() -> bool:
    """Redis counts atomically in memory; any other cache backend is either per process (local memory) or a
    table written with several queries per use (the database cache), so counts go to core.RateCounter."""
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


_UPSERT = """
INSERT INTO {table} (bucket_key, window_start, uses) VALUES (%s, %s, 1)
ON CONFLICT (bucket_key) DO UPDATE SET
    uses = CASE WHEN {table}.window_start = excluded.window_start THEN {table}.uses + 1 ELSE 1 END,
    window_start = excluded.window_start
RETURNING uses
"""


def _count_in_database(cache_key: str, window_seconds: int) -> int:
    """One statement, atomic on both engines (SQLite ≥ 3.35 and PostgreSQL upsert with RETURNING): the uses of
    this key in the current window, this one included. A key whose window ended starts again at 1."""
    from .models import RateCounter

    now = int(time.time())
    window_start = now - now % max(1, window_seconds)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=table), [cache_key[:200], window_start])
        (uses,) = cursor.fetchone()
    return int(uses)


def rate_counters_prune(*, now: float | None = None, keep_seconds: int = 86_400) -> int:
    """Delete counters of windows that started more than `keep_seconds` ago (longer than any window)."""
    from .models import RateCounter

    cutoff = int(now if now is not None else time.time()) - keep_seconds
    deleted, _details = RateCounter.objects.filter(window_start__lt=cutoff).delete()
    return deleted


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
