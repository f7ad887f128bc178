"""Live datasets: the DatasetProvider contract with a facilities provider registered only here (01 公共施設一覧),
regeneration when the source changed (task), the オープンデータ一覧 (06) generated from the catalogue."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.core.registry import DatasetProvider, ModuleManifest, registry
from madoguchi.core.tenancy import municipality_scope
from madoguchi.opendata import services
from madoguchi.opendata.models import Dataset
from madoguchi.opendata.standards import get_standard
from madoguchi.opendata.tasks import refresh_live_datasets
from madoguchi.opendata.validation import validate_rows

pytestmark = pytest.mark.django_db


class FakeFacilities:
    """Stands in for the facilities module: rows in 01's columns and a changed-since signal."""

    def __init__(self):
        self.changed = timezone.now() - datetime.timedelta(days=1)
        self.facilities = [("市民体育館", "36.8300", "137.4100"), ("中央図書館", "36.8250", "137.4050")]

    def rows(self, municipality):
        for number, (name, lat, lon) in enumerate(self.facilities, start=1):
            yield {
                "全国地方公共団体コード": municipality.code,
                "ID": f"F{number:04d}",
                "名称": name,
                "所在地_連結表記": f"{municipality.prefecture}{municipality.name}1-{number}",
                "緯度": lat,
                "経度": lon,
                "種別": "体育施設" if number == 1 else "図書館",
                "開始時間": "9:00",
                "終了時間": "21:00",
            }

    def last_changed(self, municipality):
        return self.changed


@pytest.fixture
def facilities():
    fake = FakeFacilities()
    provider = DatasetProvider(
        key="facilitiestest.public_facilities",
        standard="01",
        title="公共施設一覧",
        rows=fake.rows,
        last_changed=fake.last_changed,
    )
    manifest = ModuleManifest(key="facilitiestest", name="施設", description="", dataset_providers=(provider,))
    registry.register(manifest)
    yield fake
    registry._manifests.pop("facilitiestest")


def test_provider_contract_and_generated_dataset_passes_the_validator(city_a, bosai_a, facilities):
    with municipality_scope(city_a):
        dataset = services.live_dataset_create(
            municipality=city_a, actor=None, provider_key="facilitiestest.public_facilities"
        )
        resource = dataset.resources.get()
        assert dataset.standard_number == "01" and dataset.frequency == "live"
        assert resource.name == f"{city_a.code}_public_facility.csv"
        assert resource.columns == get_standard("01").column_names
        assert resource.conforms and resource.row_count == 2
        row = resource.rows.get(number=1).as_dict(resource.columns)
        assert row["開始時間"] == "09:00"  # normalised like an upload
    report = validate_rows(facilities.rows(city_a), get_standard("01"), max_rows=100)
    assert report.conforms


def test_regenerates_only_when_the_source_changed(city_a, bosai_a, facilities):
    with municipality_scope(city_a):
        dataset = services.live_dataset_create(
            municipality=city_a, actor=None, provider_key="facilitiestest.public_facilities"
        )
        first = dataset.resources.get().last_modified
    facilities.facilities.append(("市民プール", "36.8200", "137.4000"))
    assert refresh_live_datasets.call(city_a.pk) == 0  # source unchanged since the last build
    facilities.changed = timezone.now() + datetime.timedelta(seconds=1)
    assert refresh_live_datasets.call(city_a.pk) == 1
    with municipality_scope(city_a):
        resource = dataset.resources.get()
        assert resource.row_count == 3 and resource.last_modified > first


def test_the_provider_entry_is_idempotent(city_a, bosai_a, facilities):
    with municipality_scope(city_a):
        one = services.live_dataset_create(
            municipality=city_a, actor=None, provider_key="facilitiestest.public_facilities"
        )
        two = services.live_dataset_create(
            municipality=city_a, actor=None, provider_key="facilitiestest.public_facilities"
        )
        assert one.pk == two.pk
        assert Dataset.objects.filter(provider_key="facilitiestest.public_facilities").count() == 1


def test_opendata_list_is_generated_from_the_catalogue(city_a, catalogue_a, client):
    with municipality_scope(city_a):
        live = services.live_dataset_create(municipality=city_a, actor=None, provider_key="opendata.opendata_list")
        resource = live.resources.get()
        assert resource.conforms
        rows = [row.as_dict(resource.columns) for row in resource.rows.order_by("number")]
    assert [row["データ名称"] for row in rows] == ["指定緊急避難場所一覧", "公衆トイレ一覧"]  # published only, by name
    assert rows[0]["データ形式"] == "CSV" and rows[0]["分類"] == "防災・安全"
    # Unpublishing a dataset changes the list on the next refresh.
    with municipality_scope(city_a):
        services.dataset_unpublish(dataset=catalogue_a["evacuation"], actor=None)
    assert refresh_live_datasets.call(city_a.pk) == 1
    with scopes_disabled():
        resource = live.resources.get()
        assert [r.as_dict(resource.columns)["データ名称"] for r in resource.rows.all()] == ["公衆トイレ一覧"]


def test_unknown_provider_is_refused(city_a, bosai_a):
    from madoguchi.core.errors import ServiceError

    with municipality_scope(city_a), pytest.raises(ServiceError) as excinfo:
        services.live_dataset_create(municipality=city_a, actor=None, provider_key="nope.nothing")
    assert excinfo.value.field == "provider_key"


def test_staff_can_create_and_rebuild_a_live_dataset(city_a, bosai_a, facilities):
    from ..factories import make_staff, staff_client

    admin = staff_client(make_staff(city_a))
    html = admin.get("/city-a/staff/opendata/").content.decode()
    assert "facilitiestest.public_facilities" in html
    response = admin.post("/city-a/staff/opendata/live/", {"provider_key": "facilitiestest.public_facilities"})
    assert response.status_code == 302
    with scopes_disabled():
        dataset = Dataset.objects.get(provider_key="facilitiestest.public_facilities")
    assert admin.post(f"/city-a/staff/opendata/{dataset.public_id}/regenerate/").status_code == 302
    assert admin.post("/city-a/staff/opendata/live/", {"provider_key": "evil"}).status_code == 400
