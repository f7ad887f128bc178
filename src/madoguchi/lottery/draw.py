"""The draw: a pure, deterministic function of (seed, the canonical list of entries). Standard library only,
so the same code can be read (and is repeated) in docs/lottery-verify.py.

Algorithm "madoguchi-lottery-v1":

1. The seed is 32 random bytes, drawn with `secrets` when the round opens. Its commitment, published on the
   round page from then on, is SHA-256(seed) in lower-case hex.
2. Every entry gets a ticket: HMAC-SHA256(key=seed, message=entry id as UTF-8), as lower-case hex. Entries
   are ordered by (ticket, entry id). The order of the input list does not matter.
3. For rank r = 1, 2, … (第1希望, 第2希望, …): going through the entries in ticket order, an entry that has
   not won yet, whose holder (the registration, pseudonymous) has fewer than `max_wins` wins, and whose
   preference r is an offer nobody has won, wins that offer.
4. The result is the list of (entry, offer, rank), sorted by entry id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ALGORITHM = "madoguchi-lottery-v1"


def commitment(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


def ticket(seed: bytes, entry_id: str) -> str:
    return hmac.new(seed, entry_id.encode("utf-8"), hashlib.sha256).hexdigest()


def run_draw(seed: bytes, entries: Iterable[Mapping[str, Any]], *, max_wins: int) -> list[dict[str, Any]]:
    """entries: {"id": str, "holder": str, "preferences": [offer id, …] in rank order}."""
    ordered: Sequence[tuple[str, Mapping[str, Any]]] = sorted(
        ((ticket(seed, str(entry["id"])), entry) for entry in entries), key=lambda pair: (pair[0], str(pair[1]["id"]))
    )
    taken: set[str] = set()
    won: set[str] = set()
    wins: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    depth = max((len(entry["preferences"]) for _t, entry in ordered), default=0)
    for rank in range(1, depth + 1):
        for _ticket, entry in ordered:
            entry_id, holder = str(entry["id"]), str(entry["holder"])
            preferences = entry["preferences"]
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
