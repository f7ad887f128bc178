from __future__ import annotations

import pytest
from django.core.cache import cache

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import forget_host_memo

from .factories import make_municipality


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttling counters live in the cache: every test starts with none. The per-process host memo is emptied
    too: the host names a test mapped are rolled back with its database, without their delete() forgetting them."""
    cache.clear()
    forget_host_memo()
    yield
    cache.clear()
    forget_host_memo()


@pytest.fixture
def city_a(db) -> Municipality:
    return make_municipality(name="甲市", name_en="City A", slug="city-a")


@pytest.fixture
def city_b(db) -> Municipality:
    return make_municipality(name="乙市", name_en="City B", slug="city-b")
