"""Reads of the lottery, always filtered by municipality: public rounds and results, a resident's entries,
the staff's entry list and the multi-account gaming flags, and the published JSON the verifiers read."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import get_object_in_municipality

from . import draw
from .models import EntryStatus, LotteryEntry, LotteryOffer, LotteryPreference, LotteryRound, RoundStatus

PUBLIC_STATUSES = (RoundStatus.OPEN, RoundStatus.CLOSED, RoundStatus.DRAWN, RoundStatus.PUBLISHED)


def rounds_public(municipality: Municipality) -> QuerySet[LotteryRound]:
    return (
        LotteryRound.objects.filter(municipality=municipality, status__in=PUBLIC_STATUSES)
        .select_related("facility")
        .order_by("-applies_from", "pk")
    )


def round_get_public(municipality: Municipality, round_id: str) -> LotteryRound:
    return get_object_in_municipality(
        LotteryRound.objects.select_related("facility").filter(status__in=PUBLIC_STATUSES),
        municipality,
        public_id=round_id,
    )


def round_get_staff(municipality: Municipality, round_id: str) -> LotteryRound:
    return get_object_in_municipality(LotteryRound.objects.select_related("facility"), municipality, public_id=round_id)


def rounds_for_staff(municipality: Municipality) -> QuerySet[LotteryRound]:
    return (
        LotteryRound.objects.filter(municipality=municipality)
        .select_related("facility")
        .annotate(entry_count=Count("entries"))
        .order_by("-applies_from", "pk")
    )


def offers_of(lottery: LotteryRound) -> list[LotteryOffer]:
    return list(
        LotteryOffer.objects.filter(municipality=lottery.municipality, round=lottery).select_related("room", "slot")
    )


def entries_of_user(municipality: Municipality, user: Any, lottery: LotteryRound | None = None) -> list[LotteryEntry]:
    entries = LotteryEntry.objects.filter(municipality=municipality, created_by=user)
    if lottery is not None:
        entries = entries.filter(round=lottery)
    return list(
        entries.select_related(
            "round__facility", "registration", "win__booking", "win__offer__slot", "win__offer__room"
        )
        .prefetch_related(
            Prefetch(
                "preferences",
                queryset=LotteryPreference.objects.select_related("offer__room", "offer__slot").order_by("rank"),
            )
        )
        .order_by("-created_at", "pk")
    )


def entry_of_user(municipality: Municipality, user: Any, entry_id: str) -> LotteryEntry:
    return get_object_in_municipality(
        LotteryEntry.objects.select_related("round").filter(created_by=user), municipality, public_id=entry_id
    )


def entries_for_staff(lottery: LotteryRound) -> list[LotteryEntry]:
    return list(
        LotteryEntry.objects.filter(municipality=lottery.municipality, round=lottery)
        .select_related("registration__user", "win__offer__slot", "win__offer__room")
        .prefetch_related(
            Prefetch(
                "preferences",
                queryset=LotteryPreference.objects.select_related("offer__room", "offer__slot").order_by("rank"),
            )
        )
        .order_by("created_at", "pk")
    )


def entry_get_staff(lottery: LotteryRound, entry_id: str) -> LotteryEntry:
    return get_object_in_municipality(
        LotteryEntry.objects.filter(round=lottery), lottery.municipality, public_id=entry_id
    )


def _fold(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").casefold().replace("-", "").replace("ー", "").split())


@dataclass
class Flag:
    kind: str  # phone, email, address, representative
    registrations: list[Any] = field(default_factory=list)
    entries: list[LotteryEntry] = field(default_factory=list)


def gaming_flags(lottery: LotteryRound) -> list[Flag]:
    """Registrations entering this round that share a phone number, e-mail address, address or group
    representative: shown to staff before the draw (the same person under several accounts)."""
    entries = [e for e in entries_for_staff(lottery) if e.status == EntryStatus.ACTIVE]
    groups: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
    entries_by_registration: dict[int, list[LotteryEntry]] = defaultdict(list)
    for entry in entries:
        registration = entry.registration
        entries_by_registration[registration.pk].append(entry)
        keys = {
            "phone": _fold(registration.phone),
            "email": _fold(registration.user.email),
            "address": _fold(registration.address),
            "representative": _fold(registration.representative),
        }
        for kind, key in keys.items():
            if key:
                groups[(kind, key)][registration.pk] = registration
    flags = []
    for (kind, _key), registrations in sorted(groups.items()):
        if len(registrations) > 1:
            flagged = [e for pk in registrations for e in entries_by_registration[pk]]
            flags.append(Flag(kind=kind, registrations=list(registrations.values()), entries=flagged))
    return flags


def published_result(lottery: LotteryRound) -> dict[str, Any]:
    """The JSON anyone can verify with docs/lottery-verify.py: seed (once published), commitment, offers,
    the entries by pseudonym (never names) with their preferences, and the winners."""
    from .services import canonical_entries

    offers = offers_of(lottery)
    entries = canonical_entries(lottery) if lottery.status in (RoundStatus.DRAWN, RoundStatus.PUBLISHED) else []
    wins = (
        lottery.wins.select_related("entry", "offer__room", "offer__slot").order_by("entry__code")
        if lottery.status in (RoundStatus.DRAWN, RoundStatus.PUBLISHED)
        else []
    )
    return {
        "algorithm": draw.ALGORITHM,
        "round": str(lottery.public_id),
        "status": lottery.status,
        "commitment": lottery.commitment,
        "seed": lottery.seed_revealed if lottery.status == RoundStatus.PUBLISHED else None,
        "max_wins": lottery.max_wins,
        "offers": [
            {"id": offer.code, "date": offer.date.isoformat(), "room": offer.room.name, "slot": offer.slot.label}
            for offer in offers
        ],
        "entries": entries if lottery.status == RoundStatus.PUBLISHED else [],
        "winners": [{"entry": win.entry.code, "offer": win.offer.code, "rank": win.rank} for win in wins]
        if lottery.status == RoundStatus.PUBLISHED
        else [],
    }
