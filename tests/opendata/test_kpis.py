from __future__ import annotations

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.core.dates import fiscal_year
from madoguchi.core.registry import registry
from madoguchi.core.tenancy import municipality_scope
from madoguchi.opendata import services

pytestmark = pytest.mark.django_db


def metrics(municipality, year):
    manifest = registry.get("opendata")
    with municipality_scope(municipality):
        return {m.key: m for m in (provider(municipality, fiscal_year=year) for provider in manifest.kpi_providers)}


def test_kpis(city_a, catalogue_a, catalogue_b):
    year = fiscal_year(timezone.localdate())
    with scopes_disabled():
        resource = catalogue_a["toilets"].resources.get()
    with municipality_scope(city_a):
        services.download_record(resource=resource)
        services.download_record(resource=resource)
    found = metrics(city_a, year)
    assert found["opendata.datasets_published"].value == 2
    assert found["opendata.standard_covered"].value == 1 and found["opendata.standard_covered"].target == 31
    assert found["opendata.datasets_updated"].value == 2
    assert found["opendata.downloads"].value == 2
    last_year = metrics(city_a, year - 1)
    assert last_year["opendata.datasets_updated"].value == 0 and last_year["opendata.downloads"].value == 0
