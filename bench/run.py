"""Foundation benchmark: throughput and latency of platform pages and APIs under gunicorn, as a ratio to a
bare Django view (/healthz) served by the same server in the same run, on SQLite and (when reachable)
PostgreSQL. Machines are shared and noisy: each figure is the median of several rounds.

    make bench                      # both engines when PostgreSQL answers at 127.0.0.1:5432
    .venv/bin/python bench/run.py --rounds 5 --seconds 5 --engines sqlite

Writes bench/results/foundation.json and the table in bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable

ENDPOINTS = [
    ("bare Django view (/healthz)", "/healthz"),
    ("municipality home (HTML)", "/nanto/"),
    ("notices list (HTML)", "/nanto/notices/"),
    ("login page (HTML)", "/accounts/login/"),
    ("API: municipalities", "/api/v1/municipalities"),
    ("API: notices of a municipality", "/api/v1/municipalities/nanto/notices"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def _client_worker(port: int, path: str, seconds: float, queue: multiprocessing.Queue) -> None:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        latencies.append(time.perf_counter() - start)
    connection.close()
    queue.put((latencies, errors))


def measure(port: int, path: str, seconds: float, concurrency: int) -> dict[str, float]:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_client_worker, args=(port, path, seconds, queue)) for _ in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        worker_latencies, worker_errors = queue.get(timeout=seconds + 60)
        latencies.extend(worker_latencies)
        errors += worker_errors
    for worker in workers:
        worker.join()
    latencies.sort()
    count = len(latencies)
    if not count:
        return {"requests_per_second": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "errors": errors}
    return {
        "requests_per_second": count / seconds,
        "p50_ms": latencies[count // 2] * 1000,
        "p95_ms": latencies[min(count - 1, int(count * 0.95))] * 1000,
        "errors": errors,
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "-m", "madoguchi", *args], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def served(engine: str, *, setup: str | None = None) -> Iterator[tuple[int, dict[str, str], int]]:
    """A throwaway database (SQLite file or PostgreSQL database) with the demo data, optionally a setup script
    run with Django loaded, and gunicorn serving it: yields (port, environment, worker count), then stops the
    server and drops the database."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"madoguchi-bench-{engine}-"))
    env = {
        **os.environ,
        "MADOGUCHI_ENV": "development",
        "DEBUG": "0",
        "MADOGUCHI_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "madoguchi.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    database = None
    if engine == "postgresql":
        import psycopg

        database = f"madoguchi_bench_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        env.pop("DATABASE_URL", None)
    server = None
    try:
        manage(env, "migrate", "--no-input")
        manage(env, "createcachetable")
        manage(env, "load_demo")
        if setup:
            subprocess.run([PYTHON, "-c", setup], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        workers = (os.cpu_count() or 1) * 2 + 1
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "madoguchi.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "2",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield port, env, workers
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if database:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(var_dir, ignore_errors=True)


def median_of_rounds(samples: list[dict[str, float]], bare_rounds: list[dict[str, float]]) -> dict[str, object]:
    """Medians over rounds, and the median of the per-round ratios to the bare view of the same round."""
    ratios = [
        s["requests_per_second"] / b["requests_per_second"]
        for s, b in zip(samples, bare_rounds, strict=True)
        if b["requests_per_second"]
    ]
    return {
        "requests_per_second": statistics.median(s["requests_per_second"] for s in samples),
        "p50_ms": statistics.median(s["p50_ms"] for s in samples),
        "p95_ms": statistics.median(s["p95_ms"] for s in samples),
        "ratio_to_bare_view": statistics.median(ratios) if ratios else None,
        "errors": sum(int(s["errors"]) for s in samples),
        "rounds": [round(s["requests_per_second"], 1) for s in samples],
    }


def run_engine(engine: str, rounds: int, seconds: float, concurrency: int) -> dict[str, object]:
    with served(engine) as (port, _env, workers):
        for _label, path in ENDPOINTS:  # warm every worker's imports and caches
            measure(port, path, 0.5, concurrency)
        per_endpoint: dict[str, list[dict[str, float]]] = {path: [] for _label, path in ENDPOINTS}
        for _round in range(rounds):
            for _label, path in ENDPOINTS:  # interleaved, so drift in machine load hits every endpoint alike
                per_endpoint[path].append(measure(port, path, seconds, concurrency))
        bare_rounds = per_endpoint["/healthz"]
        results = [
            {"endpoint": label, "path": path, **median_of_rounds(per_endpoint[path], bare_rounds)}
            for label, path in ENDPOINTS
        ]
        return {"engine": engine, "gunicorn_workers": workers, "threads": 2, "endpoints": results}


def write_readme(report: dict[str, object]) -> None:
    lines = [
        "",
        f"Latest run: {report['finished_at']} on {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"{report['rounds']} rounds × {report['seconds_per_round']} s per endpoint, {report['concurrency']} concurrent "
        "keep-alive clients on the same machine (they share its cores with the server). Medians of the rounds; the "
        "ratio compares each endpoint with the bare Django view measured in the same rounds.",
        "",
        "| engine | endpoint | req/s | p50 ms | p95 ms | ratio to bare view | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for engine in report["engines"]:  # type: ignore[union-attr]
        for row in engine["endpoints"]:
            ratio = f"{row['ratio_to_bare_view']:.2f}" if row["ratio_to_bare_view"] is not None else "—"
            lines.append(
                f"| {engine['engine']} | {row['endpoint']} | {row['requests_per_second']:.0f} | {row['p50_ms']:.1f} | "
                f"{row['p95_ms']:.1f} | {ratio} | {row['errors']} |"
            )
    sys.path.insert(0, str(ROOT / "bench"))
    from readme import replace_section

    replace_section("Foundation: platform pages and APIs under gunicorn", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "postgresql" in engines and not postgres_available():
        print("PostgreSQL is not reachable at 127.0.0.1:5432: measuring SQLite only.")
        engines.remove("postgresql")
    report: dict[str, object] = {
        "benchmark": "foundation",
        "machine": machine(),
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "concurrency": args.concurrency,
        "engines": [],
    }
    for engine in engines:
        print(f"Measuring {engine}…", flush=True)
        report["engines"].append(run_engine(engine, args.rounds, args.seconds, args.concurrency))  # type: ignore[union-attr]
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "foundation.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_readme(report)
    print((ROOT / "bench" / "README.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
