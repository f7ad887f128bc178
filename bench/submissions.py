"""Issue 3 benchmark: online applications under gunicorn, on SQLite and (when reachable) PostgreSQL.

1. Submission throughput: signed-in residents POST a 20-field application with one 200 KB JPEG (multipart) to
   the procedures API, each request with its own Idempotency-Key; sustained submissions/s and p50/p95, and the
   ratio to a bare Django view (/healthz) measured by the same server in the same rounds. Every 201 must be one
   new application in the database (checked afterwards). Target: ≥ 50 submissions/s with p95 < 300 ms on
   PostgreSQL.
2. Idempotency under a stampede: 100 concurrent clients send the same application with the same
   Idempotency-Key at once; exactly one application may be created, and every client gets its receipt number.
3. Catalogue search with 1,000 published procedures under gunicorn (target p95 < 50 ms), with 1 and 8 clients.

    .venv/bin/python bench/submissions.py [--rounds 3] [--seconds 5] [--concurrency 8] [--engines sqlite,postgresql]

Writes bench/results/submissions.json and its section of bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import PYTHON, machine, measure, median_of_rounds, postgres_available, served  # noqa: E402

MUNICIPALITY = "hakusan"
PROCEDURE = "bench-application"
RESIDENTS = 16
SEARCHES = ["住民票", "証明書 交付", "ない手続"]

# A 20-field form: four pages of five questions, every common field type, one image upload.
DEFINITION = {
    "schema": 1,
    "pages": [
        {
            "id": "applicant",
            "title": "申請する方",
            "fields": [
                {"id": "applicant_name", "type": "name", "label": "氏名"},
                {"id": "applicant_address", "type": "address", "label": "住所"},
                {"id": "applicant_phone", "type": "phone", "label": "電話番号"},
                {"id": "applicant_email", "type": "email", "label": "メールアドレス"},
                {"id": "birth_date", "type": "date", "label": "生年月日", "max": "today"},
            ],
        },
        {
            "id": "details",
            "title": "申請の内容",
            "fields": [
                {"id": "workplace", "type": "short_text", "label": "勤務先"},
                {"id": "workplace_phone", "type": "short_text", "label": "勤務先の電話番号"},
                {"id": "household_head", "type": "short_text", "label": "世帯主"},
                {"id": "relationship", "type": "short_text", "label": "世帯主との続柄"},
                {"id": "previous_address", "type": "short_text", "label": "前住所"},
            ],
        },
        {
            "id": "more",
            "title": "詳しい内容",
            "fields": [
                {"id": "reason", "type": "long_text", "label": "申請の理由"},
                {"id": "notes", "type": "long_text", "label": "備考", "required": False},
                {"id": "copies", "type": "number", "label": "通数", "min": 1, "max": 10},
                {"id": "household_size", "type": "number", "label": "世帯人数", "min": 1, "max": 20},
                {"id": "planned_move", "type": "short_text", "label": "転居予定日"},
            ],
        },
        {
            "id": "choices",
            "title": "受け取りと確認",
            "fields": [
                {
                    "id": "delivery",
                    "type": "single_choice",
                    "label": "受け取り方法",
                    "options": [{"value": "post", "label": "郵送"}, {"value": "counter", "label": "窓口"}],
                },
                {
                    "id": "purpose",
                    "type": "single_choice",
                    "label": "使いみち",
                    "options": [{"value": "work", "label": "勤務先"}, {"value": "school", "label": "学校"}],
                },
                {
                    "id": "contact_by",
                    "type": "multiple_choice",
                    "label": "連絡方法",
                    "options": [{"value": "email", "label": "メール"}, {"value": "phone", "label": "電話"}],
                },
                {"id": "photo", "type": "file", "label": "本人確認書類の写真", "kinds": ["image"], "max_size_mb": 2},
                {"id": "declaration", "type": "consent", "label": "確認", "declaration": "内容に誤りはありません。"},
            ],
        },
    ],
}

ANSWERS = {
    "applicant_name": {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
    },
    "applicant_address": {
        "postal_code": "9248688",
        "prefecture": "石川県",
        "city": "白山市",
        "town": "倉光",
        "street": "二丁目1番地",
        "building": "",
    },
    "applicant_phone": "0762741234",
    "applicant_email": "taro@example.jp",
    "birth_date": "1985-04-01",
    "workplace": "白山商事株式会社",
    "workplace_phone": "076-200-0000",
    "household_head": "山田太郎",
    "relationship": "本人",
    "previous_address": "石川県金沢市広坂一丁目1番1号",
    "reason": "勤務先に提出するため。" * 10,
    "notes": "",
    "copies": 2,
    "household_size": 3,
    "planned_move": "なし",
    "delivery": "post",
    "purpose": "work",
    "contact_by": ["email"],
    "declaration": True,
}

SETUP = r"""
import json, os, sys
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.module_loading import import_string
from django.conf import settings
from django_scopes import scopes_disabled
from madoguchi.accounts.models import User
from madoguchi.core.models import Department, Municipality
from madoguchi.core.search import fold
from madoguchi.procedures.models import FormVersion, Procedure

definition, residents, out = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
store = import_string(settings.SESSION_ENGINE + ".SessionStore")
with scopes_disabled():
    city = Municipality.objects.get(slug="hakusan")
    department = Department.objects.get(municipality=city, slug="shimin")
    procedure = Procedure.objects.create(municipality=city, slug="bench-application", name="ベンチマーク申請",
        name_kana="べんちまーくしんせい", summary="20項目の申請書", category="certificates", department=department,
        applicants=["self"], identity_level="account", channel="online", is_published=True,
        search_text=fold("ベンチマーク申請"))
    FormVersion.objects.create(procedure=procedure, number=1, status="live", definition=definition,
        published_at=timezone.now())
    template = Procedure.objects.filter(municipality=city).exclude(pk=procedure.pk).first()
    existing = Procedure.objects.filter(municipality=city, is_published=True).count()
    Procedure.objects.bulk_create([
        Procedure(municipality=city, slug=f"bench-{n:04d}", name=f"テスト手続{n:04d}の申請（証明書の交付）",
            name_kana=f"てすとてつづき{n:04d}", summary="ベンチマーク用の手続です。", category=template.category,
            department=department, applicants=["self"], is_published=True,
            search_text=fold(f"テスト手続{n:04d}の申請（証明書の交付） ベンチマーク用の手続です。"))
        for n in range(1000 - existing)], batch_size=500)
sessions = []
for n in range(residents):
    user = User.objects.create_user(email=f"bench{n}@example.jp", password=None, email_verified_at=timezone.now())
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions.append(session.session_key)
open(out, "w").write(json.dumps(sessions))
"""

COUNT = r"""
import sys
import django
django.setup()
from django_scopes import scopes_disabled
from madoguchi.procedures.models import Submission
with scopes_disabled():
    print(Submission.objects.filter(procedure__slug="bench-application").exclude(status="draft").count())
"""


FINISHED_TASKS = r"""
import django
django.setup()
from django_tasks_db.models import DBTaskResult
print(DBTaskResult.objects.filter(status="SUCCESSFUL").count())
"""


def _worker_batch(env: dict[str, str]) -> float:
    """CPU seconds of one `db_worker --batch` (it sends every queued task, then exits)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [PYTHON, "-m", "madoguchi", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def deferred_email_cost(env: dict[str, str]) -> dict[str, float]:
    """Each submission queues its confirmation e-mail as a task (core/email.py); no worker runs during the
    rounds, so the e-mails queued by the whole run are sent here by one `db_worker --batch`, and its CPU time
    per e-mail reported (less the CPU of a second, idle batch run: the worker's start-up): the part of a
    submission's cost that is deferred."""
    busy = _worker_batch(env)
    idle = _worker_batch(env)
    sent = int(
        subprocess.run(
            [PYTHON, "-c", FINISHED_TASKS], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()[-1]
    )
    return {
        "emails_sent": sent,
        "worker_cpu_seconds": round(busy, 2),
        "worker_start_up_cpu_seconds": round(idle, 2),
        "worker_cpu_ms_per_email": round(max(busy - idle, 0.0) / sent * 1000, 2) if sent else 0.0,
    }


def jpeg_of_about(size: int) -> bytes:
    """A photo-like JPEG of roughly `size` bytes (noise compresses like a real photo, not like a flat colour)."""
    from PIL import Image

    rng = random.Random(3)
    side = 480
    while True:
        image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        if buffer.tell() >= size or side > 2000:
            return buffer.getvalue()
        side += 40


def multipart(answers: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = f"----madoguchi-bench-{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="answers"\r\n'
        f"Content-Type: application/json\r\n\r\n".encode()
        + json.dumps(answers, ensure_ascii=False).encode()
        + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{quote("免許証.jpg")}"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _headers(session_key: str, content_type: str, key: str) -> dict[str, str]:
    csrf = "b" * 32  # an unmasked CSRF secret: the cookie and the header carry the same value
    return {
        "Host": "127.0.0.1",
        "Cookie": f"sessionid={session_key}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Referer": "http://127.0.0.1/",
        "Content-Type": content_type,
        "Idempotency-Key": key,
        "Accept-Language": "ja",
    }


PATH = f"/api/v1/municipalities/{MUNICIPALITY}/procedures/{PROCEDURE}/submissions"


def _submit_worker(port: int, session_key: str, body: bytes, content_type: str, seconds: float, queue) -> None:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    created = 0
    deadline = time.perf_counter() + seconds
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            connection.request("POST", PATH, body=body, headers=_headers(session_key, content_type, uuid.uuid4().hex))
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        if response.status == 201:
            created += 1
            latencies.append(time.perf_counter() - start)
        else:
            key = f"{response.status} {payload[:160].decode(errors='replace')}"
            errors[key] = errors.get(key, 0) + 1
    connection.close()
    queue.put((latencies, errors, created))


def measure_submissions(
    port: int, sessions: list[str], body: bytes, content_type: str, seconds: float, concurrency: int
):
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_submit_worker, args=(port, sessions[n % len(sessions)], body, content_type, seconds, queue)
        )
        for n in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    created = 0
    for _ in workers:
        worker_latencies, worker_errors, worker_created = queue.get(timeout=seconds + 120)
        latencies.extend(worker_latencies)
        created += worker_created
        for key, count in worker_errors.items():
            errors[key] = errors.get(key, 0) + count
    for worker in workers:
        worker.join()
    latencies.sort()
    count = len(latencies)
    return {
        "requests_per_second": count / seconds,
        "p50_ms": latencies[count // 2] * 1000 if count else 0.0,
        "p95_ms": latencies[min(count - 1, int(count * 0.95))] * 1000 if count else 0.0,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "created": created,
    }


def stampede(port: int, session_key: str, body: bytes, content_type: str, clients: int) -> dict[str, object]:
    """`clients` connections, opened first, then released together by a barrier with one key and one body."""
    key = f"stampede-{uuid.uuid4().hex}"
    barrier = threading.Barrier(clients)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        barrier.wait()
        try:
            connection.request("POST", PATH, body=body, headers=_headers(session_key, content_type, key))
            response = connection.getresponse()
            payload = json.loads(response.read() or b"{}")
            outcome = (response.status, payload.get("receipt_number") or json.dumps(payload, ensure_ascii=False)[:120])
        except (OSError, http.client.HTTPException, ValueError) as exc:
            outcome = (0, type(exc).__name__)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses: dict[str, int] = {}
    for status, _receipt in outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    receipts = sorted({receipt for status, receipt in outcomes if status == 201})
    return {
        "clients": clients,
        "seconds": round(time.perf_counter() - started, 2),
        "statuses": statuses,
        "distinct_receipt_numbers": receipts,
    }


def _fresh_connections_wave(port: int, clients: int) -> float:
    """`clients` new connections, each sending one request once all are open; the slowest answer in ms."""
    barrier = threading.Barrier(clients)
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.connect()
        barrier.wait()
        start = time.perf_counter()
        try:
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            connection.getresponse().read()
        finally:
            connection.close()
        with lock:
            latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(latencies)


def warm_every_worker(port: int, workers: int, *, fast_ms: float = 150.0, max_waves: int = 20) -> int:
    """Each gunicorn worker imports the URLconf (the whole application) on its first request, which takes it
    most of a second; a worker the warm-up never reached would pay that inside a measured round. Keep-alive
    clients stay with the worker that accepted them, so waves of fresh connections are sent, each wave at
    once, until two waves in a row are all answered quickly. Returns the number of waves sent."""
    fast_in_a_row = 0
    for wave in range(1, max_waves + 1):
        fast_in_a_row = fast_in_a_row + 1 if _fresh_connections_wave(port, workers * 3) < fast_ms else 0
        if fast_in_a_row == 2:
            return wave
    return max_waves


def count_applications(env: dict[str, str]) -> int:
    out = subprocess.run([PYTHON, "-c", COUNT], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def run_engine(engine: str, rounds: int, seconds: float, concurrency: int, photo: bytes) -> dict[str, object]:
    import tempfile

    # This measures the submission path, not the limiter: lift the per-account API limit for the run.
    os.environ["MADOGUCHI_RATE_LIMITS"] = json.dumps({"api_application": [10_000_000, 600]})

    sessions_file = Path(tempfile.mkstemp(prefix="madoguchi-bench-sessions-")[1])
    setup = (
        "import sys; sys.argv = ['setup', "
        + repr(json.dumps(DEFINITION, ensure_ascii=False))
        + f", '{RESIDENTS}', '{sessions_file}']\n"
        + SETUP
    )
    with served(engine, setup=setup) as (port, env, workers):
        sessions = json.loads(sessions_file.read_text())
        body, content_type = multipart(ANSWERS, photo)
        warm_waves = warm_every_worker(port, workers)
        measure_submissions(port, sessions, body, content_type, 2.0, concurrency)
        for query in SEARCHES:
            measure(port, f"/{MUNICIPALITY}/procedures/?q={quote(query)}", 0.5, concurrency)
        before = count_applications(env)
        bare_rounds, submit_rounds = [], []
        search_rounds: dict[str, dict[int, list[dict[str, float]]]] = {q: {1: [], concurrency: []} for q in SEARCHES}
        created = 0
        for _round in range(rounds):  # interleaved, so drift in machine load hits every figure alike
            bare_rounds.append(measure(port, "/healthz", seconds, concurrency))
            sample = measure_submissions(port, sessions, body, content_type, seconds, concurrency)
            created += int(sample["created"])
            submit_rounds.append(sample)
            for query in SEARCHES:
                for clients in (1, concurrency):
                    path = f"/{MUNICIPALITY}/procedures/?q={quote(query)}"
                    search_rounds[query][clients].append(measure(port, path, seconds / 2, clients))
        after = count_applications(env)
        replay = stampede(port, sessions[0], body, content_type, 100)
        after_replay = count_applications(env)
        deferred = deferred_email_cost(env)
        error_kinds: dict[str, int] = {}
        for sample in submit_rounds:
            for key, count in sample["error_kinds"].items():  # type: ignore[union-attr]
                error_kinds[key] = error_kinds.get(key, 0) + count
        return {
            "engine": engine,
            "gunicorn_workers": workers,
            "warm_up_waves": warm_waves,
            "threads": 2,
            "bare_view": median_of_rounds(bare_rounds, bare_rounds),
            "submission": {
                **median_of_rounds(
                    [
                        {k: v for k, v in s.items() if k in ("requests_per_second", "p50_ms", "p95_ms", "errors")}
                        for s in submit_rounds
                    ],
                    bare_rounds,
                ),
                "image_bytes": len(photo),
                "request_bytes": len(body),
                "created_responses": created,
                "created_in_database": after - before,
                "error_kinds": error_kinds,
            },
            "idempotency_stampede": {**replay, "applications_created": after_replay - after},
            "deferred_email": deferred,
            "catalogue_search": {
                query: {
                    f"{clients}_clients": median_of_rounds(samples, bare_rounds[: len(samples)])
                    for clients, samples in by_clients.items()
                }
                for query, by_clients in search_rounds.items()
            },
        }


def write_readme(report: dict) -> None:
    from readme import replace_section

    lines = [
        "",
        f"Latest run: {report['finished_at']} on {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"gunicorn ({report['engines'][0]['gunicorn_workers']} workers × 2 threads) and the clients on the same "
        f"machine; {report['rounds']} rounds × {report['seconds']} s, {report['concurrency']} concurrent clients; "
        "medians of the rounds. A submission is a multipart POST of a 20-field application with one "
        f"{report['image_bytes'] // 1000} KB JPEG (re-encoded without EXIF by the server) to the procedures API, "
        "each with its own Idempotency-Key. Ratio = req/s ÷ bare view req/s in the same round.",
        "",
        "| engine | what | req/s | p50 ms | p95 ms | ratio to bare view | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for engine in report["engines"]:
        name = engine["engine"]
        for label, row in (("bare Django view (/healthz)", engine["bare_view"]), ("submission", engine["submission"])):
            lines.append(
                f"| {name} | {label} | {row['requests_per_second']:.1f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                f"{row['ratio_to_bare_view']:.3f} | {row['errors']} |"
            )
        for query, by_clients in engine["catalogue_search"].items():
            for clients, row in by_clients.items():
                lines.append(
                    f"| {name} | catalogue search 「{query}」, {clients.replace('_', ' ')} | "
                    f"{row['requests_per_second']:.1f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                    f"{row['ratio_to_bare_view']:.3f} | {row['errors']} |"
                )
    lines += [
        "",
        "| engine | 201 responses | applications created | same key × 100 clients: statuses | created | receipt numbers |",
        "|---|---:|---:|---|---:|---|",
    ]
    for engine in report["engines"]:
        submission, replay = engine["submission"], engine["idempotency_stampede"]
        lines.append(
            f"| {engine['engine']} | {submission['created_responses']} | {submission['created_in_database']} | "
            f"{json.dumps(replay['statuses'])} | {replay['applications_created']} | "
            f"{', '.join(replay['distinct_receipt_numbers'])} |"
        )
    deferred = ", ".join(
        f"{engine['engine']} {engine['deferred_email']['worker_cpu_ms_per_email']:.1f} ms "
        f"({engine['deferred_email']['emails_sent']} e-mails)"
        for engine in report["engines"]
    )
    start_load, end_load = report["load_average"]["start"], report["load_average"]["end"]
    lines += [
        "",
        "Deferred work: each submission queues its confirmation e-mail as a task, and no task worker runs during "
        "the rounds; after them one `db_worker --batch` sends every queued e-mail, at a CPU cost per e-mail "
        "(less the worker's start-up) of "
        f"{deferred}. Before the rounds, waves of fresh connections reach every gunicorn worker "
        "(each imports the application on its first request). Load average (1, 5, 15 min) at the start "
        f"{' / '.join(f'{x:.2f}' for x in start_load)}, at the end {' / '.join(f'{x:.2f}' for x in end_load)} "
        "(the machine is shared).",
        "",
        "Targets (issue 3): ≥ 50 submissions/s with p95 < 300 ms on PostgreSQL; exactly 1 application "
        "from the 100-client replay; catalogue search p95 < 50 ms.",
        "",
        "Each search query repeats, so after its first request it is served from the catalogue cache "
        "(procedures/catalogue_cache.py: the rendered form and results, replaced on any catalogue write); the "
        "uncached query and rendering are measured in process in the section above.",
    ]
    replace_section(
        "Procedures: submissions, idempotency stampede and catalogue search under gunicorn (issue 3)", lines
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "postgresql" in engines and not postgres_available():
        print("PostgreSQL is not reachable at 127.0.0.1:5432: measuring SQLite only.")
        engines.remove("postgresql")
    photo = jpeg_of_about(200_000)
    report: dict = {
        "benchmark": "submissions",
        "machine": machine(),
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "rounds": args.rounds,
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "image_bytes": len(photo),
        "engines": [],
    }
    for engine in engines:
        print(f"Measuring {engine}…", flush=True)
        report["engines"].append(run_engine(engine, args.rounds, args.seconds, args.concurrency, photo))
    report["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    report["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "submissions.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    write_readme(report)
    print(
        json.dumps(
            {
                e["engine"]: {"submission": e["submission"], "stampede": e["idempotency_stampede"]}
                for e in report["engines"]
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
