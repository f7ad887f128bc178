"""The draw as a pure function, the commitment, and the standalone verifier script."""

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

from madoguchi.lottery import draw

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "lottery-verify.py"


def _entries(count, offers, *, holders=None, seed=1):
    rng = random.Random(seed)
    return [
        {
            "id": f"e{n:05d}",
            "holder": f"h{(n % holders) if holders else n}",
            "preferences": rng.sample(offers, k=3),
        }
        for n in range(count)
    ]


def test_commitment_is_sha256_of_the_seed():
    seed = bytes(range(32))
    assert draw.commitment(seed) == hashlib.sha256(seed).hexdigest()


def test_same_seed_and_entries_give_the_same_winners_in_any_input_order():
    offers = [f"o{n}" for n in range(20)]
    entries = _entries(200, offers)
    seed = b"\x01" * 32
    first = draw.run_draw(seed, entries, max_wins=1)
    shuffled = list(entries)
    random.Random(7).shuffle(shuffled)
    assert draw.run_draw(seed, shuffled, max_wins=1) == first
    assert len(first) == 20  # every offer found a winner: far more entries than offers
    assert draw.run_draw(b"\x02" * 32, entries, max_wins=1) != first  # another seed, another result


def test_preferences_are_served_rank_by_rank():
    # Ticket order decides within a rank, but every 第1希望 is served before any 第2希望.
    seed = b"\x03" * 32
    entries = [
        {"id": "a", "holder": "ha", "preferences": ["x", "y"]},
        {"id": "b", "holder": "hb", "preferences": ["y", "x"]},
    ]
    results = draw.run_draw(seed, entries, max_wins=1)
    assert {(r["entry"], r["offer"], r["rank"]) for r in results} == {("a", "x", 1), ("b", "y", 1)}


def test_an_entry_wins_once_and_a_holder_at_most_max_wins():
    offers = [f"o{n}" for n in range(30)]
    entries = [{"id": f"e{n}", "holder": "same", "preferences": offers[n * 3 : n * 3 + 3]} for n in range(10)]
    results = draw.run_draw(b"\x04" * 32, entries, max_wins=2)
    assert len(results) == 2
    assert len({r["entry"] for r in results}) == 2
    results = draw.run_draw(b"\x04" * 32, entries, max_wins=5)
    assert len(results) == 5


def test_the_lower_ticket_wins_a_contested_offer():
    seed = b"\x05" * 32
    entries = [{"id": name, "holder": name, "preferences": ["only"]} for name in ("p", "q", "r")]
    winner = min(entries, key=lambda e: (draw.ticket(seed, e["id"]), e["id"]))["id"]
    assert draw.run_draw(seed, entries, max_wins=1) == [{"entry": winner, "offer": "only", "rank": 1}]


def _published(seed, entries, max_wins):
    return {
        "algorithm": draw.ALGORITHM,
        "commitment": draw.commitment(seed),
        "seed": seed.hex(),
        "max_wins": max_wins,
        "entries": entries,
        "winners": draw.run_draw(seed, entries, max_wins=max_wins),
    }


def test_the_standalone_script_reproduces_the_winners(tmp_path):
    seed = bytes(range(1, 33))
    data = _published(seed, _entries(500, [f"o{n}" for n in range(40)], holders=300), 2)
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    ok = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout
    assert f"{len(data['winners'])} winners of 500 entries" in ok.stdout


def test_the_standalone_script_refuses_a_tampered_result(tmp_path):
    seed = bytes(range(1, 33))
    data = _published(seed, _entries(50, [f"o{n}" for n in range(10)]), 1)
    data["winners"][0]["entry"] = "someone-else"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    tampered = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False)
    assert tampered.returncode == 1 and "winners differ" in tampered.stdout
    data = _published(seed, _entries(50, [f"o{n}" for n in range(10)]), 1)
    data["commitment"] = "0" * 64
    path.write_text(json.dumps(data), encoding="utf-8")
    wrong_seed = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False)
    assert wrong_seed.returncode == 1 and "commitment" in wrong_seed.stdout
