"""In-process cost of one API submission (issue 3): CPU ms, wall ms and queries per submission, without gunicorn
or HTTP, on a throw-away database set up exactly as bench/submissions.py sets up its server's.

    .venv/bin/python bench/submission_profile.py [--engine sqlite|postgresql] [--count 200] [--profile out.prof]

With --profile the measured submissions run under cProfile and the 30 most expensive functions (cumulative)
are printed; the timing figures are then inflated by the profiler. Prints the SQL of one submission with
--queries. Writes nothing into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import PYTHON, manage  # noqa: E402
from submissions import ANSWERS, DEFINITION, PATH, RESIDENTS, SETUP, jpeg_of_about, multipart  # noqa: E402


def prepare_database(engine: str) -> tuple[dict[str, str], Path, str | None]:
    var_dir = Path(tempfile.mkdtemp(prefix=f"madoguchi-profile-{engine}-"))
    env = {
        **os.environ,
        "MADOGUCHI_ENV": "development",
        "DEBUG": "0",
        "MADOGUCHI_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "MADOGUCHI_RATE_LIMITS": json.dumps({"api_application": [10_000_000, 600]}),
    }
    database = None
    if engine == "postgresql":
        import psycopg

        database = f"madoguchi_profile_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        env.pop("DATABASE_URL", None)
    manage(env, "migrate", "--no-input")
    manage(env, "createcachetable")
    manage(env, "load_demo")
    sessions_file = var_dir / "sessions.json"
    setup = (
        "import sys; sys.argv = ['setup', "
        + repr(json.dumps(DEFINITION, ensure_ascii=False))
        + f", '{RESIDENTS}', '{sessions_file}']\n"
        + SETUP
    )
    subprocess.run([PYTHON, "-c", setup], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return env, var_dir, database


def drop_database(database: str | None, var_dir: Path) -> None:
    if database:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--profile", default="", help="write cProfile stats here and print the top functions")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one submission")
    args = parser.parse_args()

    env, var_dir, database = prepare_database(args.engine)
    try:
        os.environ.update(env)
        if args.engine == "sqlite":
            os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        sessions = json.loads((var_dir / "sessions.json").read_text())
        body, content_type = multipart(ANSWERS, jpeg_of_about(200_000))
        csrf = "b" * 32
        clients = []
        for key in sessions:
            client = Client(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=csrf, HTTP_REFERER="http://testserver/")
            client.cookies["sessionid"] = key
            client.cookies["csrftoken"] = csrf
            clients.append(client)

        def submit(n: int) -> None:
            response = clients[n % len(clients)].generic(
                "POST", PATH, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
            )
            if response.status_code != 201:
                raise SystemExit(f"submission failed: {response.status_code} {response.content[:300]!r}")

        for n in range(10):  # warm: imports, templates, connections
            submit(n)
        with CaptureQueriesContext(connection) as captured:
            submit(0)
        # Read now: the next request's request_started signal empties the connection's query log.
        query_count = len(captured.captured_queries)
        if args.queries:
            for query in captured.captured_queries:
                print(query["time"], query["sql"][:300])

        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu, wall = [], []
        for n in range(args.count):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            submit(n)
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start_wall) * 1000)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
            import pstats

            pstats.Stats(args.profile).sort_stats("cumulative").print_stats(45)
        load = os.getloadavg()
        print(
            json.dumps(
                {
                    "engine": args.engine,
                    "submissions": args.count,
                    "cpu_ms_median": round(statistics.median(cpu), 1),
                    "cpu_ms_mean": round(statistics.fmean(cpu), 1),
                    "wall_ms_median": round(statistics.median(wall), 1),
                    "queries": query_count,
                    "load_average": [round(x, 2) for x in load],
                },
                indent=1,
            )
        )
    finally:
        drop_database(database, var_dir)


if __name__ == "__main__":
    main()
