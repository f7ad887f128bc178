"""Rate-limit counting without Redis: one upsert per use in core.RateCounter, shared by every process."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from madoguchi.core import ratelimit
from madoguchi.core.models import RateCounter

pytestmark = pytest.mark.django_db


def _at(monkeypatch, seconds: float) -> None:
    monkeypatch.setattr(ratelimit.time, "time", lambda: seconds)


def test_uses_are_counted_up_to_the_limit_and_refused_after_it(monkeypatch):
    _at(monkeypatch, 1_000_020)
    outcomes = [ratelimit.hit("sign_up", "ip:192.0.2.1", limit=3, window_seconds=60) for _ in range(5)]
    assert outcomes == [True, True, True, False, False]
    row = RateCounter.objects.get()
    assert (row.bucket_key, row.window_start, row.uses) == ("madoguchi:rate:sign_up:ip:192.0.2.1", 1_000_020, 5)


def test_a_new_window_starts_again_at_one(monkeypatch):
    _at(monkeypatch, 1_000_020)
    for _ in range(3):
        ratelimit.hit("sign_up", "ip:192.0.2.1", limit=3, window_seconds=60)
    assert ratelimit.hit("sign_up", "ip:192.0.2.1", limit=3, window_seconds=60) is False
    _at(monkeypatch, 1_000_079)  # still the window that started at 1,000,020
    assert ratelimit.hit("sign_up", "ip:192.0.2.1", limit=3, window_seconds=60) is False
    _at(monkeypatch, 1_000_080)
    assert ratelimit.hit("sign_up", "ip:192.0.2.1", limit=3, window_seconds=60) is True
    assert RateCounter.objects.get().uses == 1


def test_keys_and_buckets_count_apart(monkeypatch):
    _at(monkeypatch, 1_000_020)
    assert ratelimit.hit("sign_up", "ip:192.0.2.1", limit=1, window_seconds=60) is True
    assert ratelimit.hit("sign_up", "ip:192.0.2.2", limit=1, window_seconds=60) is True
    assert ratelimit.hit("reset", "ip:192.0.2.1", limit=1, window_seconds=60) is True
    assert ratelimit.hit("sign_up", "ip:192.0.2.1", limit=1, window_seconds=60) is False
    assert RateCounter.objects.count() == 3


def test_one_use_costs_one_query():
    with CaptureQueriesContext(connection) as queries:
        ratelimit.hit("sign_up", "ip:192.0.2.1", limit=5, window_seconds=60)
        ratelimit.hit("sign_up", "ip:192.0.2.1", limit=5, window_seconds=60)
    assert len(queries.captured_queries) == 2


def test_hostile_keys_are_data_not_sql():
    key = "ip:'); DROP TABLE core_ratecounter; --" + "x" * 300
    assert ratelimit.hit("sign_up", key, limit=1, window_seconds=60) is True
    assert ratelimit.hit("sign_up", key, limit=1, window_seconds=60) is False
    assert RateCounter.objects.count() == 1


def test_pruning_keeps_the_current_windows(monkeypatch):
    _at(monkeypatch, 1_000_020)
    ratelimit.hit("sign_up", "ip:192.0.2.1", limit=5, window_seconds=60)
    _at(monkeypatch, 1_200_000)
    ratelimit.hit("sign_up", "ip:192.0.2.2", limit=5, window_seconds=60)
    assert ratelimit.rate_counters_prune(now=1_200_010) == 1
    assert list(RateCounter.objects.values_list("bucket_key", flat=True)) == ["madoguchi:rate:sign_up:ip:192.0.2.2"]


@pytest.mark.django_db(transaction=True)
def test_parallel_connections_lose_no_use(monkeypatch):
    """Twelve connections hit one key at once, five times each: the count is exactly 60 on either engine."""
    _at(monkeypatch, 1_000_020)
    workers, rounds = 12, 5
    barrier = threading.Barrier(workers)
    allowed: list[bool] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def use() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(rounds):
                outcome = ratelimit.hit("rush", "ip:192.0.2.1", limit=50, window_seconds=3600)
                with lock:
                    allowed.append(outcome)
        except BaseException as exc:  # a lost update or a locking error must fail the test, not vanish
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert RateCounter.objects.get().uses == workers * rounds
    assert allowed.count(True) == 50 and allowed.count(False) == 10
