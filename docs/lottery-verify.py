#!/usr/bin/env python3
"""Verify a Madoguchi facility lottery (抽選) from its published result JSON. Standard library only.

    python3 lottery-verify.py result.json

The JSON is what the round's public page links to (…/lottery/<round>/result.json) and what the API returns
at /api/v1/municipalities/<slug>/lottery/rounds/<round>/result. The script checks that SHA-256 of the revealed
seed equals the commitment published when the round opened, re-runs the draw (algorithm
"madoguchi-lottery-v1", described in docs/lottery.md) and compares the winners. Exit status 0 on success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys


def run_draw(seed: bytes, entries: list[dict], max_wins: int) -> list[dict]:
    tickets = sorted(
        ((hmac.new(seed, str(e["id"]).encode("utf-8"), hashlib.sha256).hexdigest(), e) for e in entries),
        key=lambda pair: (pair[0], str(pair[1]["id"])),
    )
    taken: set[str] = set()
    won: set[str] = set()
    wins: dict[str, int] = {}
    results = []
    depth = max((len(e["preferences"]) for _t, e in tickets), default=0)
    for rank in range(1, depth + 1):
        for _ticket, entry in tickets:
            entry_id, holder, preferences = str(entry["id"]), str(entry["holder"]), entry["preferences"]
            if entry_id in won or wins.get(holder, 0) >= max_wins or len(preferences) < rank:
                continue
            offer = str(preferences[rank - 1])
            if offer in taken:
                continue
            taken.add(offer)
            won.add(entry_id)
            wins[holder] = wins.get(holder, 0) + 1
            results.append({"entry": entry_id, "offer": offer, "rank": rank})
    return sorted(results, key=lambda row: row["entry"])


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("algorithm") != "madoguchi-lottery-v1":
        print(f"unknown algorithm: {data.get('algorithm')!r}")
        return 1
    if not data.get("seed"):
        print("the seed is not published yet")
        return 1
    seed = bytes.fromhex(data["seed"])
    ok = True
    if hashlib.sha256(seed).hexdigest() != data.get("commitment"):
        print("FAIL: SHA-256(seed) does not match the published commitment")
        ok = False
    expected = run_draw(seed, data.get("entries", []), int(data.get("max_wins", 1)))
    published = sorted(data.get("winners", []), key=lambda row: row["entry"])
    if expected != published:
        print(f"FAIL: the winners differ ({len(expected)} reproduced, {len(published)} published)")
        ok = False
    if ok:
        print(f"OK: commitment matches; {len(expected)} winners of {len(data.get('entries', []))} entries reproduced")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
