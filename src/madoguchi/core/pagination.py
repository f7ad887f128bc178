"""Paging for list pages: the page of items and the query string the pagination links keep."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items: Any, per_page: int) -> tuple[Page, str]:
    """The requested page (an out-of-range or malformed ?page= gives the nearest valid page) and the current
    filters as "a=1&b=2&", so each pagination link keeps them."""
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return Paginator(items, per_page).get_page(request.GET.get("page")), (encoded + "&") if encoded else ""
