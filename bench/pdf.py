"""Issue 3 benchmark: printable PDF of a 20-field application (procedures/pdf.py `application_pdf`).

Runs in-process in a throwaway SQLite database (the PDF's cost is layout, font subsetting and writing; the few
queries it makes are the same on any database): one cold run (the first PDF of a process also parses the font),
then median and p95 of warm runs, for the staff copy in Japanese and the applicant's copy in English, with the
size of each PDF. Writes bench/results/pdf.json.

    .venv/bin/python bench/pdf.py [--runs 30]
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
import json, os, statistics, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled
call_command("migrate", verbosity=0)
from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import submissions
from madoguchi.procedures.models import FormVersion, Submission, SubmissionStatus
from madoguchi.procedures.services import procedure_preset_enable
from madoguchi.procedures.pdf import application_pdf
from tests.factories import enable_module, make_department, make_municipality, make_user
from tests.procedures import pdf_sample

city = make_municipality(slug="bench-city", receipt_prefix="BC")
enable_module(city, "procedures")
make_department(city, slug="shimin", name="市民課", name_en="Citizens Division")
with municipality_scope(city):
    procedure = procedure_preset_enable(municipality=city, actor=None, key="juminhyo", request=None)
    version = FormVersion.objects.create(procedure=procedure, number=99, status=FormVersion.Status.RETIRED,
                                         definition=pdf_sample.DEFINITION)
    application = Submission.objects.create(
        municipality=city, procedure=procedure, form_version=version, department=procedure.department,
        applicant=make_user(), status=SubmissionStatus.SUBMITTED, answers=pdf_sample.answers(), fee_total=600,
        submitted_at=timezone.now(), receipt_number=submissions.receipt_number_issue(municipality=city))
runs = int(sys.argv[1])
results = {}
with scopes_disabled():
    start = time.perf_counter()
    application_pdf(application, language="ja", for_staff=True)
    results["cold_first_pdf_ms"] = (time.perf_counter() - start) * 1000
    for name, language, for_staff in (("staff_ja", "ja", True), ("applicant_en", "en", False)):
        samples = []
        size = 0
        for _ in range(runs):
            submission = Submission.objects.get(pk=application.pk)  # fresh object: no cached relations
            start = time.perf_counter()
            size = len(application_pdf(submission, language=language, for_staff=for_staff))
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        results[name] = {
            "median_ms": statistics.median(samples),
            "p95_ms": samples[max(0, int(len(samples) * 0.95) - 1)],
            "min_ms": samples[0],
            "bytes": size,
        }
print(json.dumps(results))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from run import machine

    var_dir = tempfile.mkdtemp(prefix="madoguchi-bench-pdf-")
    env = {
        **os.environ,
        "MADOGUCHI_ENV": "development",
        "DEBUG": "0",
        "MADOGUCHI_VAR_DIR": var_dir,
        "LOG_LEVEL": "ERROR",
        "TASK_BACKEND": "immediate",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    load_before = os.getloadavg()
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(args.runs)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    report = {
        "benchmark": "pdf",
        "machine": machine(),
        "fields": 20,
        "runs": args.runs,
        # The machine may be shared: the 1-minute load average before and after says how much to trust the run.
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        **figures,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "pdf.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    lines = [
        "## Procedures: printable PDF of a 20-field application (issue 3)",
        "",
        f"Latest run: {report['finished_at']} on {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"{args.runs} runs per copy after one cold run, in-process (`application_pdf`, no HTTP layer), 1-minute "
        f"load average {report['load_average_1min']['before']} before and {report['load_average_1min']['after']} "
        "after. The cold run includes reading and parsing the font (once per process).",
        "",
        "| copy | median ms | p95 ms | min ms | size |",
        "|---|---:|---:|---:|---:|",
        f"| first PDF of a process (cold) | {report['cold_first_pdf_ms']:.0f} | | | |",
    ]
    for key, label in (("staff_ja", "staff copy, Japanese"), ("applicant_en", "applicant's copy, English")):
        figures = report[key]
        lines.append(
            f"| {label} | {figures['median_ms']:.0f} | {figures['p95_ms']:.0f} | {figures['min_ms']:.0f} | "
            f"{figures['bytes'] / 1024:.0f} KB |"
        )
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    marker = "## Procedures: printable PDF"
    before, _marker, after = text.partition(marker)
    rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    text = before.rstrip() + "\n\n" + "\n".join(lines) + "\n" + (f"\n## {rest}" if rest else "")
    readme.write_text(text, encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
