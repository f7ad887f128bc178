"""Health endpoints, production settings, demo data, module switches and security headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from madoguchi.accounts.models import Role, StaffMembership, User
from madoguchi.audit.models import AuditEvent
from madoguchi.core.models import Department, Municipality

from .factories import enable_module, make_staff, staff_client

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "pending_migrations": 0}


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_database(client, monkeypatch):
    from django.db import DatabaseError
    from django.db.backends.base.base import BaseDatabaseWrapper

    def broken_cursor(self, *args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


def _run_with_env(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "madoguchi", *args], capture_output=True, text=True, env=clean_env, cwd=ROOT, timeout=120
    )


PRODUCTION = {
    "MADOGUCHI_ENV": "production",
    "SECRET_KEY": "x" * 64 + "production-only-test-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "madoguchi.city.example.jp",
    "MADOGUCHI_VAR_DIR": "/tmp/madoguchi-prod-check",
}


def test_production_settings_pass_the_deploy_check():
    result = _run_with_env(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = _run_with_env(["check"], **env)
    assert result.returncode != 0 and "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_demo_data():
    result = _run_with_env(["load_demo"], **PRODUCTION)
    assert result.returncode != 0 and "refused in production" in result.stderr


@pytest.mark.django_db
def test_demo_data_is_complete_and_idempotent():
    call_command("load_demo")
    with scopes_disabled():
        counts = (
            Municipality.objects.count(),
            Department.objects.count(),
            StaffMembership.objects.count(),
            User.objects.count(),
        )
    call_command("load_demo")
    with scopes_disabled():
        assert (
            Municipality.objects.count(),
            Department.objects.count(),
            StaffMembership.objects.count(),
            User.objects.count(),
        ) == counts
        codes = set(Municipality.objects.values_list("code", flat=True))
        assert codes == {"162108", "162094", "162043", "172103", "392049"}
        for municipality in Municipality.objects.all():
            roles = set(StaffMembership.objects.filter(municipality=municipality).values_list("role", flat=True))
            assert roles == set(Role.values)
            municipality.full_clean()  # codes, check digits and slugs are valid


@pytest.mark.django_db
def test_switching_a_module_off_hides_it_everywhere(client, city_a, city_b):
    enable_module(city_a, "notices", True)
    enable_module(city_b, "notices", True)
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    staff = staff_client(admin)
    response = staff.post("/city-a/staff/modules/", {"notices__home_count": "5"})  # checkbox absent = off
    assert response.status_code == 302
    assert client.get("/city-a/notices/").status_code == 404
    assert client.get("/api/v1/municipalities/city-a/notices").status_code == 404
    assert "/city-a/notices/" not in client.get("/city-a/").content.decode()
    assert client.get("/city-b/notices/").status_code == 200  # the other municipality is unaffected
    assert AuditEvent.objects.filter(action="module.switched", municipality=city_a).exists()


@pytest.mark.django_db
def test_module_settings_are_validated_and_typed_values_kept(city_a):
    admin = make_staff(city_a, Role.MUNICIPALITY_ADMIN)
    response = staff_client(admin).post(
        "/city-a/staff/modules/", {"notices__enabled": "on", "notices__home_count": "99"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "トップページに表示する件数は20以下にしてください" in body
    assert 'value="99"' in body
    not_a_number = staff_client(admin).post(
        "/city-a/staff/modules/", {"notices__enabled": "on", "notices__home_count": "五"}
    )
    assert "半角数字で入力してください" in not_a_number.content.decode()


@pytest.mark.django_db
def test_security_headers_on_pages(client, city_a):
    response = client.get("/city-a/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.django_db
def test_custom_host_serves_only_its_municipality(client, city_a, city_b):
    from madoguchi.core.models import MunicipalityHost

    MunicipalityHost.objects.create(municipality=city_a, host="madoguchi.city-a.example.jp")
    root = client.get("/", HTTP_HOST="madoguchi.city-a.example.jp")
    assert root.status_code == 302 and root["Location"] == "/city-a/"
    assert client.get("/city-a/", HTTP_HOST="madoguchi.city-a.example.jp").status_code == 200
    assert client.get("/city-b/", HTTP_HOST="madoguchi.city-a.example.jp").status_code == 404


@pytest.mark.django_db
def test_municipality_home_shows_services_contact_and_notices(client, city_a):
    enable_module(city_a, "notices")
    from madoguchi.core.tenancy import municipality_scope
    from madoguchi.notices.services import notice_create

    with municipality_scope(city_a):
        notice_create(
            municipality=city_a,
            actor=None,
            data={"title": "窓口時間の変更", "body": "本文"},
            publish=True,
            request=None,
        )
        notice_create(
            municipality=city_a,
            actor=None,
            data={"title": "下書きのお知らせ", "body": "本文"},
            publish=False,
            request=None,
        )
    body = client.get("/city-a/").content.decode()
    assert "甲市" in body and "窓口時間の変更" in body and "下書きのお知らせ" not in body
    assert 'href="tel:0763232000"' in body


def test_unknown_municipality_is_404_with_a_helpful_page(client, db):
    response = client.get("/no-such-city/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


@pytest.mark.django_db
def test_reserved_words_cannot_be_municipality_slugs():
    from django.core.exceptions import ValidationError

    from .factories import make_municipality

    municipality = make_municipality()
    for reserved in ("api", "accounts", "staff", "admin"):
        municipality.slug = reserved
        with pytest.raises(ValidationError) as excinfo:
            municipality.full_clean()
        assert "システムで使われている" in str(excinfo.value)


def test_reserved_module_keys_are_refused():
    from madoguchi.core.registry import ModuleManifest, ModuleRegistry

    with pytest.raises(ValueError):
        ModuleRegistry().register(ModuleManifest(key="staff", name="x", description="x"))


@pytest.mark.django_db
def test_daily_maintenance_expires_old_idempotency_keys(city_a):
    import datetime

    from django.utils import timezone

    from madoguchi.core.maintenance import daily_maintenance
    from madoguchi.core.models import IdempotencyRecord

    old = IdempotencyRecord.objects.create(
        scope="s", key="old", request_fingerprint="x", status_code=201, response_body={}
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    fresh = IdempotencyRecord.objects.create(
        scope="s", key="fresh", request_fingerprint="x", status_code=201, response_body={}
    )
    result = daily_maintenance.enqueue().return_value
    assert result["idempotency_records"] == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]


@pytest.mark.django_db
def test_daily_maintenance_command_runs(capsys):
    call_command("daily_maintenance")
    assert "Daily maintenance queued." in capsys.readouterr().out


@pytest.mark.django_db
def test_csrf_failure_shows_a_helpful_page(city_a):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"email": "a@example.jp", "password": "x"})
    assert response.status_code == 403
    assert "もう一度お試しください" in response.content.decode()


def test_swagger_assets_come_from_the_package(client, db):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.django_db
def test_renaming_a_custom_host_stops_serving_the_old_name_at_once(client, city_a):
    from madoguchi.core.models import MunicipalityHost

    mapping = MunicipalityHost.objects.create(municipality=city_a, host="old.city-a.example.jp")
    assert client.get("/", HTTP_HOST="old.city-a.example.jp")["Location"] == "/city-a/"  # now cached
    mapping.host = "new.city-a.example.jp"
    mapping.save()
    assert client.get("/", HTTP_HOST="old.city-a.example.jp").status_code == 200  # the platform root again
    assert client.get("/", HTTP_HOST="new.city-a.example.jp")["Location"] == "/city-a/"


@pytest.mark.django_db
def test_custom_hosts_are_remembered_per_process_briefly_and_the_memo_stays_bounded(city_a, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from madoguchi.core import tenancy
    from madoguchi.core.models import MunicipalityHost

    MunicipalityHost.objects.create(municipality=city_a, host="memo.city-a.example.jp")
    clock = [1000.0]
    monkeypatch.setattr(tenancy.time, "monotonic", lambda: clock[0])
    assert tenancy.municipality_for_host("memo.city-a.example.jp") == city_a
    with CaptureQueriesContext(connection) as queries:
        assert tenancy.municipality_for_host("MEMO.city-a.example.jp:443") == city_a
    # Only the municipality row itself: neither the shared cache nor the host table is asked again.
    assert [q["sql"] for q in queries.captured_queries if "municipalityhost" in q["sql"].lower()] == []
    # Another process changed the mapping (the shared cache forgot it; this process was not told).
    MunicipalityHost.objects.filter(host="memo.city-a.example.jp").delete()
    tenancy.cache.clear()
    assert tenancy.municipality_for_host("memo.city-a.example.jp") == city_a
    clock[0] += tenancy.HOST_MEMO_SECONDS + 1
    assert tenancy.municipality_for_host("memo.city-a.example.jp") is None
    for n in range(tenancy._HOST_MEMO_SIZE * 2):
        tenancy.municipality_for_host(f"h{n}.example.jp")
    assert len(tenancy._host_memo) <= tenancy._HOST_MEMO_SIZE
