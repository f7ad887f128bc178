from __future__ import annotations

import pytest
from django.core.cache import cache

from madoguchi.core.models import Municipality

from .factories import make_municipality


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttling counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city_a(db) -> Municipality:
    return make_municipality(name="甲市", name_en="City A", slug="city-a")


@pytest.fixture
def city_b(db) -> Municipality:
    return make_municipality(name="乙市", name_en="City B", slug="city-b")
