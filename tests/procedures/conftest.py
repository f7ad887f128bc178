import pytest

from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published

from ..factories import enable_module, make_department


@pytest.fixture
def shimin_a(city_a):
    enable_module(city_a, "procedures")
    return make_department(city_a, slug="shimin", name="市民課", name_en="Citizens Division")


@pytest.fixture
def juminhyo_a(city_a, shimin_a):
    """住民票の写し等交付申請, enabled from its preset and published in city A."""
    with municipality_scope(city_a):
        procedure = procedure_preset_enable(municipality=city_a, actor=None, key="juminhyo", request=None)
        return procedure_set_published(procedure=procedure, actor=None, published=True, request=None)
