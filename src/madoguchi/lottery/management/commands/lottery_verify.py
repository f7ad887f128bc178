"""python -m madoguchi lottery_verify <round id> [--json FILE]: re-run a published draw from its revealed
seed and the published entry list, check the seed against the commitment, and compare with the winners.
Exit status 0 when everything matches, 1 otherwise."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from madoguchi.lottery import draw
from madoguchi.lottery.models import LotteryRound
from madoguchi.lottery.selectors import published_result


def verify(data: dict[str, Any]) -> list[str]:
    """Problems found in a published result (empty when it verifies)."""
    problems: list[str] = []
    if data.get("algorithm") != draw.ALGORITHM:
        problems.append(f"unknown algorithm {data.get('algorithm')!r}")
        return problems
    seed_hex = data.get("seed")
    if not seed_hex:
        return ["the seed is not published yet"]
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        return ["the seed is not hexadecimal"]
    if draw.commitment(seed) != data.get("commitment"):
        problems.append("SHA-256(seed) does not match the published commitment")
    expected = draw.run_draw(seed, data.get("entries", []), max_wins=int(data.get("max_wins", 1)))
    published = sorted(data.get("winners", []), key=lambda row: row["entry"])
    if expected != published:
        problems.append(f"the winners differ: {len(expected)} reproduced, {len(published)} published")
    return problems


class Command(BaseCommand):
    help = "Verify a published lottery draw: commitment, seed and winners."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", nargs="?", help="The round's id (UUID)")
        parser.add_argument("--json", dest="json_file", help="Verify a downloaded result JSON file instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("json_file"):
            with open(options["json_file"], encoding="utf-8") as handle:
                data = json.load(handle)
        elif options.get("round"):
            with scopes_disabled():
                lottery = LotteryRound.objects.filter(public_id=_uuid(options["round"])).first()
                if lottery is None:
                    raise CommandError("No such lottery round.")
                data = published_result(lottery)
        else:
            raise CommandError("Give a round id or --json FILE.")
        problems = verify(data)
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(
            f"OK: commitment matches the seed; {len(data['winners'])} winners of {len(data['entries'])} entries reproduced."
        )


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError("The round id is not a UUID.") from exc
