"""Issue 4 benchmark: the facility lottery draw for 10,000 entries (target < 10 s), reproducible from the
revealed seed; SQLite and (when reachable) PostgreSQL, in a throwaway database, in-process.

Setup (not timed): one facility with 4 rooms × 3 slots over a month (the offers), 5,000 approved
registrations with 2 entries each (10,000 entries, 3 ranked preferences drawn from the popular quarter of the
offers). Timed:

- draw_service_s: `round_draw` end to end (the canonical entry list from the database, the draw, releasing the
  holds, one 仮予約 per winner through the facilities services, one result e-mail queued per loser);
- draw_pure_s: `draw.run_draw` alone on the same canonical list;
- export_s: building the published result JSON after `round_publish`;
- verify_script_s: `python3 docs/lottery-verify.py result.json` (a separate process, standard library only),
  which must exit 0: the commitment matches the seed and the winners are reproduced.

    .venv/bin/python bench/lottery.py [--entries 10000]

Writes bench/results/lottery.json and its section of bench/README.md.
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
import datetime, json, os, random, secrets, subprocess, sys, tempfile, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.utils import timezone
from django_scopes import scopes_disabled
from madoguchi.accounts.models import User
from madoguchi.core.models import Municipality, ModuleActivation
from madoguchi.facilities.models import Facility, Registration, Room, TimeSlot
from madoguchi.lottery import draw, selectors, services
from madoguchi.lottery.models import LotteryEntry, LotteryOffer, LotteryPreference, LotteryRound

entries_wanted = int(sys.argv[1])
registrations_wanted = entries_wanted // 2
rng = random.Random(10)
with scopes_disabled():
    city = Municipality.objects.create(code="162043", name="魚津市", name_kana="うおづし", name_en="Uozu",
        prefecture="富山県", slug="bench-uozu", receipt_prefix="BU", contact_phone="0765231000")
    for key in ("facilities", "lottery"):
        ModuleActivation.objects.update_or_create(municipality=city, module_key=key, defaults={"enabled": True})
    facility = Facility.objects.create(municipality=city, slug="gym", name="総合体育館", name_kana="ソウゴウタイイクカン",
        kind="gym", address_prefecture="富山県", address_city="魚津市", open_weekdays="0123456")
    rooms = []
    for n in range(4):
        room = Room.objects.create(municipality=city, facility=facility, name=f"アリーナ{n + 1}", capacity=200)
        for label, start, end in (("午前", 9, 12), ("午後", 13, 17), ("夜間", 18, 21)):
            TimeSlot.objects.create(municipality=city, room=room, label=label, starts_at=datetime.time(start),
                ends_at=datetime.time(end), fee=2000)
        rooms.append(room)
    now = timezone.now()
    today = timezone.localdate()
    first = datetime.date(today.year + (today.month + 1) // 12, (today.month + 1) % 12 + 1, 1)
    lottery = services.round_save(lottery=LotteryRound(municipality=city, facility=facility, title="ベンチ抽選",
        applies_from=now - datetime.timedelta(days=2), applies_until=now - datetime.timedelta(days=1),
        use_from=first, use_until=first + datetime.timedelta(days=30), max_entries=2, max_wins=1, max_preferences=3),
        rooms=rooms, municipality=city, actor=None, request=None)
    lottery = services.round_open(lottery=lottery, actor=None, request=None)
    offers = list(LotteryOffer.objects.filter(round=lottery).values_list("pk", flat=True))
    popular = offers[: max(30, len(offers) // 4)]
    users = User.objects.bulk_create([User(email=f"b{n}@bench.example.jp") for n in range(registrations_wanted)],
        batch_size=1000)
    registrations = Registration.objects.bulk_create([
        Registration(municipality=city, user=user, kind="individual", status="approved", name=f"利用者{n}",
            name_kana="リヨウシャ", phone=f"0765{n:06d}"[:11], address=f"魚津市釈迦堂{n}") for n, user in enumerate(users)
    ], batch_size=1000)
    entries = []
    for registration in registrations:
        for ordinal in (1, 2):
            entries.append(LotteryEntry(municipality=city, round=lottery, registration=registration,
                code=secrets.token_hex(8), holder_code=services._pseudonym(str(lottery.public_id),
                str(registration.public_id)), ordinal=ordinal, created_by_id=registration.user_id))
    LotteryEntry.objects.bulk_create(entries, batch_size=1000)
    LotteryPreference.objects.bulk_create([
        LotteryPreference(municipality=city, entry=entry, offer_id=offer, rank=rank)
        for entry in entries for rank, offer in enumerate(rng.sample(popular, 3), start=1)
    ], batch_size=2000)
    services.round_close(lottery=lottery, actor=None, request=None)
    canonical = services.canonical_entries(lottery)
    start = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile, pstats
        profiler = cProfile.Profile()
        profiler.enable()
    services.round_draw(lottery=lottery, actor=None, request=None)
    draw_service = time.perf_counter() - start
    if os.environ.get("BENCH_PROFILE"):
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    seed = services.seed_of(lottery)
    start = time.perf_counter()
    pure = draw.run_draw(seed, canonical, max_wins=lottery.max_wins)
    draw_pure = time.perf_counter() - start
    services.round_publish(lottery=lottery, actor=None, request=None)
    lottery.refresh_from_db()
    start = time.perf_counter()
    data = selectors.published_result(lottery)
    export = time.perf_counter() - start
    path = os.path.join(tempfile.mkdtemp(), "result.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
    start = time.perf_counter()
    checked = subprocess.run([sys.executable, "docs/lottery-verify.py", path], capture_output=True, text=True)
    verify_script = time.perf_counter() - start
    print(json.dumps({
        "entries": len(data["entries"]), "offers": len(data["offers"]), "winners": len(data["winners"]),
        "pure_equals_stored": pure == data["winners"], "verified": checked.returncode == 0,
        "verifier_output": checked.stdout.strip(), "draw_service_s": round(draw_service, 3),
        "draw_pure_s": round(draw_pure, 3), "export_s": round(export, 3), "verify_script_s": round(verify_script, 3),
    }, ensure_ascii=False))
"""


def run(engine: str, entries: int) -> dict:
    var_dir = tempfile.mkdtemp(prefix="madoguchi-bench-lottery-")
    env = {
        **os.environ,
        "MADOGUCHI_ENV": "development",
        "DEBUG": "0",
        "MADOGUCHI_VAR_DIR": var_dir,
        "LOG_LEVEL": "ERROR",
        "TASK_BACKEND": "database",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    database = None
    if engine == "postgresql":
        import psycopg

        database = f"madoguchi_bench_lottery_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        env.pop("DATABASE_URL", None)
    try:
        out = subprocess.run(
            [sys.executable, "-c", WORKER, str(entries)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if os.environ.get("BENCH_PROFILE"):
            print(out.stderr[-12000:])
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        return {"engine": engine, **json.loads(out.stdout.strip().splitlines()[-1])}
    finally:
        if database:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from readme import replace_section
    from run import machine, postgres_available

    engines = [e for e in args.engines.split(",") if e == "sqlite" or (e == "postgresql" and postgres_available())]
    results = [run(engine, args.entries) for engine in engines]
    report = {
        "benchmark": "lottery",
        "machine": machine(),
        "target_draw_s": 10,
        "engines": results,
        "passed": all(r["draw_service_s"] < 10 and r["verified"] and r["pure_equals_stored"] for r in results),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "lottery.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    lines = [
        "",
        f"Latest run: {report['finished_at']} on {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"in-process. {args.entries:,} entries (5,000 registrations × 2), 3 ranked preferences each, 1 win per "
        "registration. Target: the draw of 10,000 entries < 10 s, reproducible from the revealed seed. The "
        "service draw includes creating every winner's 仮予約 and queueing every loser's e-mail.",
        "",
        "| engine | entries | offers | winners | draw (service) s | draw (pure) s | export s | verify script s | verified |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['engine']} | {r['entries']:,} | {r['offers']} | {r['winners']} | {r['draw_service_s']} | "
            f"{r['draw_pure_s']} | {r['export_s']} | {r['verify_script_s']} | {'yes' if r['verified'] else 'NO'} |"
        )
    replace_section("Lottery draw (issue 4)", lines)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
