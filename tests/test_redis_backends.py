"""The optional Redis deployment: cache/sessions in Redis and tasks on the RQ backend, against a real Redis.

Each test runs Madoguchi in fresh processes with REDIS_URL set, as a production node would. Skipped where no
Redis answers (a fresh laptop); CI has one at 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("MADOGUCHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    parsed = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason=f"no Redis answers at {REDIS_URL}")


@pytest.fixture
def redis_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(
        {
            "MADOGUCHI_ENV": "development",
            "MADOGUCHI_VAR_DIR": str(tmp_path),
            "REDIS_URL": REDIS_URL,
            "TASK_BACKEND": "rq",
        }
    )
    run(env, "migrate", "--no-input")
    return env


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_tasks_run_on_the_rq_backend(redis_env):
    env = redis_env
    task_id = run(
        env,
        "shell",
        "-c",
        "from madoguchi.core.maintenance import daily_maintenance; print(daily_maintenance.enqueue().id)",
    ).splitlines()[-1]
    run(env, "rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default")
    outcome = run(
        env,
        "shell",
        "-c",
        "from madoguchi.core.maintenance import daily_maintenance; "
        f"r = daily_maintenance.get_result('{task_id}'); print(r.status, sorted(r.return_value))",
    ).splitlines()[-1]
    assert outcome == "SUCCESSFUL ['idempotency_records', 'platform_audit_events', 'rate_counters']"


def test_login_throttling_is_shared_through_the_redis_cache(redis_env):
    """Two separate processes (as two web nodes would) see the same failure counter."""
    email = f"{uuid.uuid4().hex[:8]}@example.jp"
    record = "from madoguchi.accounts import throttling; throttling.record_failure('{email}', '192.0.2.1')"
    for _ in range(5):
        run(redis_env, "shell", "-c", record.format(email=email))
    locked = run(
        redis_env,
        "shell",
        "-c",
        f"from madoguchi.accounts import throttling; print(throttling.is_locked_out('{email}', '192.0.2.9'))",
    ).splitlines()[-1]
    assert locked == "True"
    run(redis_env, "shell", "-c", f"from madoguchi.accounts import throttling; throttling.clear_failures('{email}')")
