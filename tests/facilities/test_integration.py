"""Manifest integrations: KPI providers, the 公共施設一覧 dataset rows, the demo seeder, the permission matrix."""

import datetime

from django.utils import timezone

from madoguchi.accounts.models import Role
from madoguchi.accounts.permissions import ROLE_PERMISSIONS, Perm
from madoguchi.core.dates import fiscal_year
from madoguchi.core.registry import registry
from madoguchi.core.tenancy import municipality_scope
from madoguchi.facilities import opendata
from madoguchi.facilities.models import BookedUnit, Booking, Facility
from madoguchi.facilities.services import booking_create, booking_mark_paid, booking_record_counter_payment


def _kpis(city, year):
    manifest = registry.get("facilities")
    return {metric.key: metric for metric in (p(city, fiscal_year=year) for p in manifest.kpi_providers)}


def test_kpis_count_online_bookings_shares_and_utilisation(facilities_a, facility_a, room_a, slots_a, registration_a):
    from .conftest import next_open_day

    day = next_open_day(offset=2)
    with municipality_scope(facilities_a):
        online = booking_create(
            municipality=facilities_a,
            room=room_a,
            date=day,
            slots=[slots_a[0]],
            registration=registration_a,
            actor=None,
            request=None,
        )
        booking_mark_paid(online, reference="gw")
        phone = booking_create(
            municipality=facilities_a,
            room=room_a,
            date=day,
            slots=[slots_a[1]],
            registration=registration_a,
            actor=None,
            request=None,
            channel="phone",
        )
        booking_record_counter_payment(phone, actor=None, request=None)
        metrics = _kpis(facilities_a, fiscal_year(day))
    assert metrics["facilities.online_count"].value == 1
    assert metrics["facilities.online_bookings"].value == 1
    assert metrics["facilities.online_share"].value == 50.0
    assert metrics["facilities.cashless_share"].value == 50.0
    utilisation = metrics["facilities.utilisation"]
    assert set(utilisation.breakdown) == {"kominkan"}


def test_utilisation_is_booked_units_over_offered_units(facilities_a, facility_a, room_a, slots_a, registration_a):
    from madoguchi.facilities.kpis import utilisation

    from .conftest import next_open_day

    day = next_open_day(offset=2)
    with municipality_scope(facilities_a):
        booking_create(
            municipality=facilities_a,
            room=room_a,
            date=day,
            slots=slots_a,
            registration=registration_a,
            actor=None,
            request=None,
        )
        Booking.objects.update(date=timezone.localdate())
        BookedUnit.objects.update(date=timezone.localdate())
        metric = utilisation(facilities_a, fiscal_year=fiscal_year(timezone.localdate()), today=timezone.localdate())
    assert metric.value is not None and 0 < metric.value <= 100


def test_dataset_rows_follow_the_column_contract(facilities_a, facility_a):
    rows = list(registry.get("facilities").dataset_providers[0](facilities_a))
    assert len(rows) == 1
    row = rows[0]
    assert tuple(row) == opendata.COLUMNS
    assert row["全国地方公共団体コード"] == facilities_a.code and row["名称"] == "中央公民館"
    assert row["緯度"] == "36.700000" and row["経度"] == "137.200000"
    assert row["所在地_連結表記"] == "富山県甲市本町1-1"
    assert row["利用可能曜日"] == "月・火・水・木・金・土" and row["開始時間"] == "09:00"
    assert all(isinstance(value, str) for value in row.values())


def test_demo_seeder_creates_facilities_and_a_month_of_bookings_idempotently(facilities_a):
    from madoguchi.facilities.demo import seed_facilities

    with municipality_scope(facilities_a):
        seed_facilities(facilities_a)
        seed_facilities(facilities_a)
        assert Facility.objects.filter(municipality=facilities_a).count() == 4
        bookings = Booking.objects.filter(municipality=facilities_a)
        assert bookings.count() > 50
        assert bookings.filter(date__gt=timezone.localdate() + datetime.timedelta(days=25)).exists()
        assert not Facility.objects.filter(latitude__isnull=True).exists()


def test_permission_matrix():
    assert Perm.FACILITIES_MANAGE in ROLE_PERMISSIONS[Role.MUNICIPALITY_ADMIN]
    assert Perm.FACILITIES_COUNTER in ROLE_PERMISSIONS[Role.MUNICIPALITY_ADMIN]
    assert Perm.FACILITIES_MANAGE in ROLE_PERMISSIONS[Role.DEPARTMENT_STAFF]
    assert Perm.FACILITIES_COUNTER in ROLE_PERMISSIONS[Role.COUNTER_STAFF]
    assert Perm.FACILITIES_MANAGE not in ROLE_PERMISSIONS[Role.COUNTER_STAFF]
    assert not {Perm.FACILITIES_MANAGE, Perm.FACILITIES_COUNTER} & ROLE_PERMISSIONS[Role.AUDITOR]


def test_the_open_data_module_builds_a_conforming_public_facility_list(facilities_a, facility_a):
    """公共施設一覧 (01) generated from the facility catalogue passes the standard's validator, and is rebuilt
    when a facility changes."""
    from madoguchi.opendata import services as opendata_services
    from madoguchi.opendata.tasks import refresh_live_datasets

    with municipality_scope(facilities_a):
        dataset = opendata_services.live_dataset_create(
            municipality=facilities_a, actor=None, provider_key="facilities.public_facilities"
        )
        resource = dataset.resources.get()
        assert dataset.standard_number == "01"
        assert resource.conforms, resource.problems if hasattr(resource, "problems") else ""
        assert resource.row_count == 1
        row = resource.rows.get(number=1).as_dict(resource.columns)
        assert row["名称"] == "中央公民館" and row["緯度"].startswith("36.7")
        Facility.objects.filter(pk=facility_a.pk).update(
            name="新しい公民館", updated_at=timezone.now() + datetime.timedelta(seconds=2)
        )
    assert refresh_live_datasets.call(facilities_a.pk) >= 1
    with municipality_scope(facilities_a):
        row = dataset.resources.get().rows.get(number=1).as_dict(dataset.resources.get().columns)
    assert row["名称"] == "新しい公民館"
