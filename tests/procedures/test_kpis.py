"""KPI providers computed from live data, per 年度."""

import datetime
import zoneinfo

import pytest
from django.test import override_settings
from django_scopes import scopes_disabled

from madoguchi.core.registry import registry
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import kpis
from madoguchi.procedures.builder import form_definition_publish
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import Submission, SubmissionStatus

from .test_inbox import _application

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_kpis_count_online_procedures_submissions_and_processing_time(city_a, juminhyo_a):
    with municipality_scope(city_a):
        assert kpis.procedures_online(city_a, fiscal_year=2026).value == 0
        form_definition_publish(procedure=juminhyo_a, actor=None, request=None, definition=example_json("juminhyo"))
        assert kpis.procedures_online(city_a, fiscal_year=2026).value == 1
    in_year = _application(juminhyo_a, status=SubmissionStatus.COMPLETED)
    next_year = _application(juminhyo_a)
    with scopes_disabled():
        Submission.objects.filter(pk=in_year.pk).update(
            submitted_at=datetime.datetime(2027, 3, 1, 9, tzinfo=TOKYO),
            completed_at=datetime.datetime(2027, 3, 4, 9, tzinfo=TOKYO),
        )
        Submission.objects.filter(pk=next_year.pk).update(
            submitted_at=datetime.datetime(2027, 4, 1, 0, 30, tzinfo=TOKYO)
        )
    with municipality_scope(city_a):
        assert kpis.online_submissions(city_a, fiscal_year=2026).value == 1  # 令和8年度 ends on 31 March 2027
        assert kpis.online_submissions(city_a, fiscal_year=2027).value == 1
        assert kpis.median_processing_days(city_a, fiscal_year=2026).value == 3.0
        assert kpis.median_processing_days(city_a, fiscal_year=2025).value is None


def test_providers_are_registered_with_the_module(city_a):
    manifest = registry.get("procedures")
    with municipality_scope(city_a):
        values = [provider(city_a, fiscal_year=2026).key for provider in manifest.kpi_providers]
    assert values == [
        "procedures.online_count",
        "procedures.online_submissions",
        "procedures.median_processing_days",
        "procedures.cashless_share",
    ]


@override_settings(
    RATE_LIMITS={
        "application": (1, 600),
        "signup": (10, 3600),
        "password_reset": (10, 3600),
        "verification_email": (10, 3600),
        "identity_start": (30, 600),
    }
)
def test_application_posts_are_rate_limited(client, city_a, juminhyo_a):
    with municipality_scope(city_a):
        form_definition_publish(procedure=juminhyo_a, actor=None, request=None, definition=example_json("juminhyo"))
    client.post("/city-a/procedures/juminhyo/apply/")
    assert client.post("/city-a/procedures/juminhyo/apply/").status_code == 429
