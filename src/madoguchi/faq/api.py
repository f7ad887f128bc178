"""/api/v1/municipalities/{slug}/faq/…: ask the FAQ chatbot from other channels (LINE, kiosks), send
"was this helpful?", and read the published FAQ. `/api/v1/faq/ask` (the path issue 6 names) is the same
question with the municipality in the body, for a channel that serves several municipalities from one URL."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from madoguchi.core.api import CleanText, PageParams, api_municipality
from madoguchi.core.ratelimit import hit
from madoguchi.core.selectors import module_is_enabled

from . import selectors, services
from .manifest import KEY
from .models import Channel, Faq
from .text import answer_links, plain_answer

router = Router(tags=["faq"])
# Mounted at /api/v1/faq (madoguchi.api): endpoints whose municipality is in the body rather than the path.
channel_router = Router(tags=["faq"])


class FaqOut(Schema):
    id: str
    question: str
    answer: str = Field(description="The answer as plain text (links replaced by their label)")
    links: list[dict[str, str]] = Field(description="Links in the answer: {label, url}")
    category: str
    department: str | None
    url: str = Field(description="The FAQ's page for residents")


class ContactOut(Schema):
    name: str
    phone: str
    email: str
    office_hours: str


class AskIn(Schema):
    question: CleanText = Field(min_length=1, max_length=500, description="The resident's question, as typed")


class AskAnyIn(AskIn):
    municipality: str = Field(
        min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$", description="The municipality's slug, e.g. nankoku"
    )


class AskOut(Schema):
    question_id: str | None = Field(description="Send it back with feedback")
    answered: bool = Field(description="True when the confidence reached the municipality's threshold")
    confidence: float
    threshold: float
    answer: FaqOut | None
    related: list[FaqOut]
    candidates: list[FaqOut] = Field(description="When not answered: the closest FAQs")
    contact: ContactOut = Field(description="Whom to ask when the answer does not help")


class FeedbackIn(Schema):
    helpful: bool


class FeedbackOut(Schema):
    question_id: str
    helpful: bool | None


class FaqPage(Schema):
    count: int
    items: list[FaqOut]


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


def faq_out(faq: Faq) -> dict[str, Any]:
    return {
        "id": str(faq.public_id),
        "question": faq.display_question,
        "answer": plain_answer(faq.display_answer),
        "links": answer_links(faq.display_answer),
        "category": faq.category,
        "department": faq.department.display_name if faq.department else None,
        "url": f"/{faq.municipality.slug}/faq/{faq.public_id}/",
    }


def _contact(answer: services.Answer, municipality: Any) -> dict[str, str]:
    from madoguchi.core.models import localized

    department = answer.department
    hours = localized(municipality.office_hours, municipality.office_hours_en)
    if department is not None:
        return {
            "name": department.display_name,
            "phone": department.phone,
            "email": department.email,
            "office_hours": hours,
        }
    return {
        "name": municipality.contact_department or municipality.display_name,
        "phone": municipality.contact_phone,
        "email": municipality.contact_email,
        "office_hours": hours,
    }


@router.post(
    "/{slug}/faq/ask",
    response={200: AskOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Ask the FAQ chatbot (anonymous; the question is logged with personal data masked)",
)
def ask(request: HttpRequest, slug: str, payload: AskIn) -> dict[str, Any]:
    return _ask(request, slug, payload.question)


@channel_router.post(
    "/ask",
    response={200: AskOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Ask the FAQ chatbot of the municipality named in the body (same answer as /municipalities/{slug}/faq/ask)",
)
def ask_any(request: HttpRequest, payload: AskAnyIn) -> dict[str, Any]:
    return _ask(request, payload.municipality, payload.question)


def _ask(request: HttpRequest, slug: str, question: str) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        from madoguchi.audit.services import client_ip

        limit, window = settings.RATE_LIMITS["faq_ask"]
        if not hit("faq_ask", client_ip(request) or "unknown", limit=limit, window_seconds=window):
            raise HttpError(429, "rate_limited")
        answer = services.faq_ask(municipality=municipality, text=question, channel=Channel.API)
        return {
            "question_id": str(answer.question.public_id) if answer.question else None,
            "answered": answer.answered,
            "confidence": answer.confidence,
            "threshold": answer.threshold,
            "answer": faq_out(answer.best) if answer.best else None,
            "related": [faq_out(f) for f in answer.related],
            "candidates": [faq_out(f) for f in answer.candidates],
            "contact": _contact(answer, municipality),
        }


@router.post(
    "/{slug}/faq/questions/{question_id}/feedback",
    response={200: FeedbackOut, 404: ErrorOut, 422: ErrorOut},
    summary="Was this answer helpful? (sending the same value again changes nothing)",
)
def feedback(request: HttpRequest, slug: str, question_id: str, payload: FeedbackIn) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        question = services.question_feedback(
            municipality=municipality, question_id=question_id, helpful=payload.helpful
        )
        return {"question_id": str(question.public_id), "helpful": question.helpful}


@router.get("/{slug}/faq", response={200: FaqPage, 404: ErrorOut}, summary="The published FAQ")
def faq_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> dict[str, Any]:
    with api_municipality(slug) as municipality:
        if not module_is_enabled(municipality, KEY):
            raise Http404
        queryset = (
            selectors.faq_list_published(municipality)
            .select_related("municipality")
            .order_by("category", "question", "pk")
        )
        return {
            "count": queryset.count(),
            "items": [faq_out(f) for f in queryset[page.offset : page.offset + page.limit]],
        }
