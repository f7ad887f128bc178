"""/api/v1/municipalities/{slug}/lottery: rounds, a round's result (the verifiable JSON), entering
(send Idempotency-Key: a replay returns the first entry), my entries, withdrawing."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import SessionAuth

from madoguchi.core.api import api_municipality
from madoguchi.core.errors import ServiceError
from madoguchi.core.idempotency import run_idempotent
from madoguchi.core.selectors import module_is_enabled
from madoguchi.facilities.models import Registration, RegistrationStatus

from . import selectors, services
from .manifest import KEY
from .models import MAX_PREFERENCES, LotteryEntry, LotteryRound

router = Router(tags=["lottery"])


class OfferOut(Schema):
    id: int
    code: str
    date: datetime.date
    room: str
    slot: str
    starts_at: str
    ends_at: str


class RoundOut(Schema):
    id: str
    title: str
    title_en: str
    facility: str
    status: str
    applies_from: datetime.datetime
    applies_until: datetime.datetime
    use_from: datetime.date
    use_until: datetime.date
    max_entries: int
    max_wins: int
    max_preferences: int
    commitment: str
    seed: str | None


class RoundDetailOut(RoundOut):
    offers: list[OfferOut]


class EntryIn(Schema):
    registration: str = Field(max_length=36, description="Id of one of your approved registrations")
    preferences: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(
        min_length=1, max_length=MAX_PREFERENCES, description="Offer ids, 第1希望 first"
    )


class EntryOut(Schema):
    id: str
    code: str = Field(description="The pseudonymous id published in the result")
    round: str
    status: str
    preferences: list[int]
    won_offer: int | None
    booking: str | None


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


def _round_out(lottery: LotteryRound) -> dict[str, Any]:
    return {
        "id": str(lottery.public_id),
        "title": lottery.title,
        "title_en": lottery.title_en,
        "facility": lottery.facility.slug,
        "status": lottery.status,
        "applies_from": lottery.applies_from,
        "applies_until": lottery.applies_until,
        "use_from": lottery.use_from,
        "use_until": lottery.use_until,
        "max_entries": lottery.max_entries,
        "max_wins": lottery.max_wins,
        "max_preferences": lottery.max_preferences,
        "commitment": lottery.commitment,
        "seed": lottery.seed_revealed or None,
    }


def entry_out(entry: LotteryEntry) -> dict[str, Any]:
    win = getattr(entry, "win", None)  # RelatedObjectDoesNotExist is an AttributeError
    return {
        "id": str(entry.public_id),
        "code": entry.code,
        "round": str(entry.round.public_id),
        "status": entry.status,
        "preferences": [p.offer_id for p in sorted(entry.preferences.all(), key=lambda p: p.rank)],
        "won_offer": win.offer_id if win else None,
        "booking": str(win.booking.public_id) if win and win.booking else None,
    }


@router.get("/{slug}/lottery/rounds", response=list[RoundOut], summary="Lottery rounds (抽選) open or decided")
def round_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        return [_round_out(r) for r in selectors.rounds_public(municipality)[:100]]


@router.get(
    "/{slug}/lottery/rounds/{round_id}", response={200: RoundDetailOut, 404: ErrorOut}, summary="A round and its offers"
)
def round_detail(request: HttpRequest, slug: str, round_id: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        lottery = selectors.round_get_public(municipality, round_id)
        body = _round_out(lottery)
        body["offers"] = [
            {
                "id": offer.pk,
                "code": offer.code,
                "date": offer.date,
                "room": str(offer.room.public_id),
                "slot": offer.slot.label,
                "starts_at": f"{offer.slot.starts_at:%H:%M}",
                "ends_at": f"{offer.slot.ends_at:%H:%M}",
            }
            for offer in selectors.offers_of(lottery)
        ]
        return body


@router.get(
    "/{slug}/lottery/rounds/{round_id}/result",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="The verifiable result: commitment, seed once published, entries by pseudonym, winners",
)
def round_result(request: HttpRequest, slug: str, round_id: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        return selectors.published_result(selectors.round_get_public(municipality, round_id))


@router.post(
    "/{slug}/lottery/rounds/{round_id}/entries",
    response={201: EntryOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=SessionAuth(),
    summary="Enter a round with ranked preferences (send Idempotency-Key to make retries safe)",
)
def entry_create(request: HttpRequest, slug: str, round_id: str, payload: EntryIn) -> Status:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        user = request.auth  # type: ignore[attr-defined]
        lottery = selectors.round_get_public(municipality, round_id)
        registration = next(
            (
                r
                for r in Registration.objects.filter(
                    municipality=municipality, user=user, status=RegistrationStatus.APPROVED
                )
                if str(r.public_id) == payload.registration
            ),
            None,
        )
        if registration is None:
            raise ServiceError("registration_not_approved", _registration_message(), field="registration", status=403)

        def create() -> tuple[int, dict[str, Any]]:
            entry = services.entry_create(
                lottery=lottery, registration=registration, offer_ids=payload.preferences, actor=user, request=request
            )
            return 201, entry_out(entry)

        status, body = run_idempotent(request, scope=f"user:{user.pk}:lottery-entry:{lottery.pk}", operation=create)
        return Status(status, body)


def _registration_message() -> str:
    from django.utils.translation import gettext as _

    return _("利用者登録が承認されていないか、利用停止中のため申し込めません。")


@router.get(
    "/{slug}/lottery/entries",
    response={200: list[EntryOut], 401: ErrorOut, 404: ErrorOut},
    auth=SessionAuth(),
    summary="My lottery entries",
)
def my_entries(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        return [entry_out(e) for e in selectors.entries_of_user(municipality, request.auth)[:200]]  # type: ignore[attr-defined]


@router.post(
    "/{slug}/lottery/entries/{entry_id}/withdraw",
    response={200: EntryOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=SessionAuth(),
    summary="Withdraw one of my entries while the window is open",
)
def entry_withdraw(request: HttpRequest, slug: str, entry_id: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        entry = selectors.entry_of_user(municipality, request.auth, entry_id)  # type: ignore[attr-defined]
        services.entry_withdraw(entry=entry, actor=request.auth, request=request)  # type: ignore[attr-defined]
        return entry_out(LotteryEntry.objects.select_related("round").get(pk=entry.pk))
