"""Rate limits for availability and booking: counted per client address AND per signed-in user.

Over either limit the caller gets a polite 429 (HTML page or the API's JSON error shape) with Retry-After;
nothing is read from or written to the booking tables. Limits: settings.RATE_LIMITS["facility_availability"]
and ["facility_booking"] = (count, seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from madoguchi.core.ratelimit import RateLimited as CoreRateLimited
from madoguchi.core.ratelimit import hit


def over_limit(request: HttpRequest, bucket: str) -> int | None:
    """Count one use; the seconds to wait when the caller is over the limit, else None."""
    from madoguchi.audit.services import client_ip

    limit, window = settings.RATE_LIMITS[bucket]
    allowed = hit(bucket, f"ip:{client_ip(request) or 'unknown'}", limit=limit, window_seconds=window)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        allowed = hit(bucket, f"user:{user.pk}", limit=limit, window_seconds=window) and allowed
    return None if allowed else window


def limited(
    bucket: str, *, methods: tuple[str, ...]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                wait = over_limit(request, bucket)
                if wait is not None:
                    response = render(request, "facilities/busy.html", {"seconds": wait}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class RateLimited(CoreRateLimited):
    """The API's answer at window opening: the core 429 (Retry-After from the ServiceError handler), saying how
    long to wait."""

    def __init__(self, seconds: int):
        super().__init__(
            seconds, _("混み合っています。%(seconds)s秒ほどたってから、もう一度お試しください。") % {"seconds": seconds}
        )


def api_limit(request: HttpRequest, bucket: str) -> None:
    wait = over_limit(request, bucket)
    if wait is not None:
        raise RateLimited(wait)
