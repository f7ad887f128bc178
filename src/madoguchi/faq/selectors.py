"""Reads of the FAQ module; every query is filtered by municipality."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import get_object_in_municipality

from .models import Faq, FaqRevision, Question, Synonym
from .text import bigrams, similarity

GROUP_SIMILARITY = 0.5
MISSES_DAYS = 90
MISSES_SCAN = 2000


def faq_list_published(municipality: Municipality) -> QuerySet[Faq]:
    return Faq.objects.filter(municipality=municipality, is_published=True).select_related("department")


def faq_get_published(municipality: Municipality, public_id: str) -> Faq:
    return get_object_in_municipality(faq_list_published(municipality), municipality, public_id=public_id)


def faq_list_for_staff(municipality: Municipality, user: Any, *, search: str = "") -> QuerySet[Faq]:
    """The FAQs this staff member manages: all for admins, their own 課's for department staff."""
    queryset = Faq.objects.filter(municipality=municipality).select_related("department")
    allowed = department_scope(user, municipality)
    if allowed is not None:
        queryset = queryset.filter(department_id__in=allowed)
    if search:
        queryset = queryset.filter(
            Q(question__icontains=search) | Q(phrasings__icontains=search) | Q(keywords__icontains=search)
        )
    return queryset.order_by("category", "question", "pk")


def faq_get_for_staff(municipality: Municipality, user: Any, public_id: str) -> Faq:
    return get_object_in_municipality(faq_list_for_staff(municipality, user), municipality, public_id=public_id)


def faq_revisions(faq: Faq) -> QuerySet[FaqRevision]:
    return FaqRevision.objects.filter(municipality_id=faq.municipality_id, faq=faq).select_related("actor")


def synonym_list(municipality: Municipality) -> QuerySet[Synonym]:
    return Synonym.objects.filter(municipality=municipality)


def synonym_get(municipality: Municipality, public_id: str) -> Synonym:
    return get_object_in_municipality(synonym_list(municipality), municipality, public_id=public_id)


@dataclass
class MissGroup:
    """Similar questions residents asked that the FAQ did not answer well."""

    text: str
    question_ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    last_asked: datetime.datetime | None = None
    best_faq_id: int | None = None
    best_faq: Faq | None = None

    @property
    def count(self) -> int:
        return len(self.question_ids)


def miss_groups(municipality: Municipality, *, days: int = MISSES_DAYS) -> list[MissGroup]:
    """Unanswered, unresolved questions of the last `days`, grouped by character-bigram similarity (greedy:
    each question joins the first group whose first question is similar enough), largest groups first."""
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        Question.objects.filter(
            municipality=municipality, answered=False, resolved_faq__isnull=True, asked_at__gte=since
        )
        .order_by("-asked_at")
        .values_list("public_id", "text", "asked_at", "top_faq_id")[:MISSES_SCAN]
    )
    groups: list[tuple[frozenset[str], MissGroup]] = []
    for public_id, text, asked_at, top_faq_id in rows:
        grams = bigrams(text)
        group = next((g for grams_of_group, g in groups if similarity(grams, grams_of_group) >= GROUP_SIMILARITY), None)
        if group is None:
            group = MissGroup(text=text, last_asked=asked_at, best_faq_id=top_faq_id)
            groups.append((grams, group))
        group.question_ids.append(str(public_id))
        if text not in group.texts and len(group.texts) < 5:
            group.texts.append(text)
    result = sorted(
        (g for _grams, g in groups), key=lambda g: (-g.count, -(g.last_asked.timestamp() if g.last_asked else 0))
    )
    faq_ids = {g.best_faq_id for g in result if g.best_faq_id}
    faqs = {f.pk: f for f in Faq.objects.filter(municipality=municipality, pk__in=faq_ids)}
    for group in result:
        group.best_faq = faqs.get(group.best_faq_id) if group.best_faq_id else None
    return result


def questions_in_municipality(municipality: Municipality, public_ids: list[str]) -> QuerySet[Question]:
    import uuid

    valid = []
    for value in public_ids[:500]:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return Question.objects.filter(municipality=municipality, public_id__in=valid)


def feedback_by_faq(municipality: Municipality) -> list[dict[str, Any]]:
    """Per FAQ: how often it was the answer, and how often residents said it helped or not (not helpful first)."""
    rows = (
        Question.objects.filter(municipality=municipality, top_faq__isnull=False, answered=True)
        .values("top_faq")
        .annotate(
            answers=Count("pk"),
            helpful_count=Count("pk", filter=Q(helpful=True)),
            not_helpful_count=Count("pk", filter=Q(helpful=False)),
        )
        .filter(not_helpful_count__gt=0)
        .order_by("-not_helpful_count", "top_faq")[:200]
    )
    faqs = {f.pk: f for f in Faq.objects.filter(municipality=municipality, pk__in=[r["top_faq"] for r in rows])}
    return [{**row, "faq": faqs[row["top_faq"]]} for row in rows if row["top_faq"] in faqs]


def not_helpful_questions(municipality: Municipality, faq: Faq) -> QuerySet[Question]:
    return Question.objects.filter(municipality=municipality, top_faq=faq, helpful=False).order_by("-asked_at")[:50]
