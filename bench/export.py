"""Issue 3 benchmark: export 100,000 applications of one procedure for core systems, as CSV and as JSON.

Runs in-process (Django test client through the staff API with an API token, no network layer) on SQLite and,
when reachable, PostgreSQL, each in a throwaway database. For each format it reports rows per second and
elapsed time of the streamed download, then the peak Python memory of a second, traced run (tracemalloc,
which slows the code, so it is not timed) and the process's peak RSS. It also fetches every row through the
keyset-paged JSON export (1,000 rows a page). Writes bench/results/export.json.

    .venv/bin/python bench/export.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import datetime, json, os, resource, sys, time, tracemalloc
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled
call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
from madoguchi.accounts.models import User
from madoguchi.core import services as core_services
from madoguchi.core.models import Department, ModuleActivation, Municipality
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.journey import form_version_publish_example
from madoguchi.procedures.models import Submission
from madoguchi.procedures.services import procedure_preset_enable

rows = int(sys.argv[1])
municipality = Municipality.objects.create(code="162108", name="南砺市", name_kana="なんとし", name_en="Nanto",
    prefecture="富山県", slug="nanto", receipt_prefix="NT")
with municipality_scope(municipality):
    ModuleActivation.objects.create(municipality=municipality, module_key="procedures", enabled=True)
    Department.objects.create(municipality=municipality, slug="shimin", name="市民課")
    procedure = procedure_preset_enable(municipality=municipality, actor=None, key="juminhyo", request=None)
    version = procedure.form_versions.filter(status="live").first() or form_version_publish_example(
        procedure=procedure, definition=example_json("juminhyo"))
    applicants = [User.objects.create_user(email=f"resident{n}@example.jp", password=None) for n in range(100)]
    start = timezone.now() - datetime.timedelta(days=365)
    answers = {"applicant_name": {"family_name": "山田", "given_name": "太郎", "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ"}, "applicant_phone": "09012345678", "relationship": "self", "copies": 2,
        "purpose": "employment", "delivery": "post", "declaration": True}
    created = time.perf_counter()
    batch = []
    for n in range(rows):
        batch.append(Submission(municipality=municipality, procedure=procedure, form_version=version,
            department=procedure.department, applicant=applicants[n % 100], status="submitted",
            answers={**answers, "copies": 1 + n % 5}, fee_total=300 * (1 + n % 5),
            submitted_at=start + datetime.timedelta(seconds=300 * n), receipt_number=f"NT-R8-{n + 1:06d}"))
        if len(batch) == 5000:
            Submission.objects.bulk_create(batch)
            batch = []
    if batch:
        Submission.objects.bulk_create(batch)
    created = time.perf_counter() - created
    token, secret = core_services.api_token_create(municipality=municipality, actor=None, name="bench",
        scopes=["procedures.manage:read"], departments=[], expires_at=None, request=None)
client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
path = f"/api/v1/municipalities/nanto/procedures/{procedure.slug}/applications/export"

def download(fmt, traced):
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get(path, {"format": fmt})
    assert response.status_code == 200, response.status_code
    size = 0
    lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    if traced:
        tracemalloc.stop()
    return elapsed, size, lines, peak

results = {"rows": rows, "seed_seconds": round(created, 1), "formats": {}}
for fmt in ("csv", "json"):
    elapsed, size, lines, _peak = download(fmt, False)
    _e, _s, _l, peak = download(fmt, True)
    expected = rows + 1 if fmt == "csv" else rows + 2
    assert lines == expected, (fmt, lines, expected)
    results["formats"][fmt] = {"seconds": round(elapsed, 2), "rows_per_second": round(rows / elapsed),
        "bytes": size, "peak_python_memory_mb": round(peak / 2**20, 1)}

began = time.perf_counter()
cursor, fetched, pages = "", 0, 0
while True:
    body = client.get(path + "/pages", {"limit": 1000, "cursor": cursor}).json()
    fetched += len(body["items"])
    pages += 1
    if not body["next_cursor"]:
        break
    cursor = body["next_cursor"]
elapsed = time.perf_counter() - began
assert fetched == rows, fetched
results["formats"]["json_pages"] = {"seconds": round(elapsed, 2), "rows_per_second": round(rows / elapsed),
    "pages": pages, "page_size": 1000}
results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(results))
"""


def run(engine: str, rows: int) -> dict:
    var_dir = tempfile.mkdtemp(prefix="madoguchi-bench-export-")
    env = {
        **os.environ,
        "MADOGUCHI_ENV": "development",
        "DEBUG": "0",
        "MADOGUCHI_VAR_DIR": var_dir,
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    database = None
    if engine == "postgresql":
        import psycopg

        database = f"madoguchi_bench_export_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        env.pop("DATABASE_URL", None)
    try:
        out = subprocess.run(
            [sys.executable, "-c", WORKER, str(rows)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        if out.returncode != 0:
            raise SystemExit(f"{engine}: worker failed\n{out.stderr[-4000:]}")
        return {"engine": engine, **json.loads(out.stdout.strip().splitlines()[-1])}
    finally:
        if database:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from run import machine, postgres_available

    engines = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    report = {
        "benchmark": "export",
        "machine": machine(),
        "rows": args.rows,
        "engines": [run(engine, args.rows) for engine in engines],
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "export.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    for engine in report["engines"]:
        for fmt, figures in engine["formats"].items():
            memory = figures.get("peak_python_memory_mb")
            print(
                f"{engine['engine']:10} {fmt:10} {figures['rows_per_second']:>8} rows/s  {figures['seconds']:>7} s"
                + (f"  peak Python memory {memory} MB" if memory is not None else "")
            )
        print(f"{engine['engine']:10} peak RSS {engine['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
