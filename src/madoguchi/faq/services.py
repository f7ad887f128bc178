"""Writes of the FAQ module. Staff changes are audited; every change to what the index holds raises the
municipality's index version in the same transaction (index.index_changed)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.permissions import department_scope
from madoguchi.audit.services import audit_record
from madoguchi.core.errors import ServiceError, full_clean_or_refuse
from madoguchi.core.models import Department, Municipality
from madoguchi.core.selectors import module_settings

from .index import current_index, index_changed
from .manifest import DEFAULT_RETENTION_DAYS, DEFAULT_THRESHOLD, KEY
from .models import Channel, Faq, FaqRevision, Question, Synonym
from .text import clean_question, mask_personal_data, split_list

EDITABLE_FIELDS = (
    "question",
    "question_en",
    "phrasings",
    "answer",
    "answer_en",
    "category",
    "department",
    "keywords",
    "is_published",
    "last_reviewed_on",
)
RELATED_COUNT = 3
RELATED_SCORE_SHARE = 0.35
CANDIDATE_COUNT = 5


def _check_department(municipality: Municipality, actor: Any, department: Department | None) -> None:
    if department is not None and department.municipality_id != municipality.pk:
        raise ServiceError("department_invalid", _("課を選び直してください。"), field="department")
    allowed = department_scope(actor, municipality)
    if allowed is not None and (department is None or department.pk not in allowed):
        raise ServiceError("department_not_yours", _("担当している課を選んでください。"), field="department")


def _check_unique_question(faq: Faq) -> None:
    if Faq.objects.filter(municipality_id=faq.municipality_id, question=faq.question).exclude(pk=faq.pk).exists():
        raise ServiceError("faq_duplicate", _("同じ質問のFAQがすでにあります。"), field="question")


def _content(faq: Faq) -> dict[str, Any]:
    return {
        "question": faq.question,
        "question_en": faq.question_en,
        "phrasings": faq.phrasings,
        "answer": faq.answer,
        "answer_en": faq.answer_en,
        "category": faq.category,
        "department": faq.department.name if faq.department else "",
        "keywords": faq.keywords,
        "is_published": faq.is_published,
        "last_reviewed_on": faq.last_reviewed_on.isoformat() if faq.last_reviewed_on else "",
    }


def _revision(faq: Faq, actor: Any, changed: list[str]) -> None:
    number = (faq.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    FaqRevision.objects.create(
        municipality_id=faq.municipality_id,
        faq=faq,
        number=number,
        content=_content(faq),
        changed_fields=changed,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _normalise_data(data: dict[str, Any]) -> dict[str, Any]:
    out = {key: data[key] for key in EDITABLE_FIELDS if key in data}
    for key in ("question", "question_en", "category", "keywords"):
        if key in out and isinstance(out[key], str):
            out[key] = " ".join(out[key].split())
    if "phrasings" in out:
        out["phrasings"] = "\n".join(
            dict.fromkeys(line.strip() for line in (out["phrasings"] or "").splitlines() if line.strip())
        )
    return out


@transaction.atomic
def faq_create(
    *,
    municipality: Municipality,
    actor: Any,
    data: dict[str, Any],
    request: HttpRequest | None,
    resolves: list[str] | None = None,
) -> Faq:
    """A new FAQ; `resolves` are ids of logged questions it answers (a group of misses turned into an FAQ)."""
    data = _normalise_data(data)
    _check_department(municipality, actor, data.get("department"))
    faq = Faq(
        municipality=municipality, created_by=actor if getattr(actor, "is_authenticated", False) else None, **data
    )
    _check_unique_question(faq)
    full_clean_or_refuse(faq)
    faq.save()
    _revision(faq, actor, sorted(data))
    resolved = _resolve_questions(municipality, resolves or [], faq)
    audit_record(
        action="faq.created",
        actor=actor,
        municipality=municipality,
        object_type="faq",
        object_id=str(faq.public_id),
        request=request,
        details={"published": faq.is_published, "resolved_questions": resolved},
    )
    index_changed(municipality)
    return faq


@transaction.atomic
def faq_update(*, faq: Faq, actor: Any, data: dict[str, Any], request: HttpRequest | None) -> Faq:
    data = _normalise_data(data)
    municipality = faq.municipality
    if "department" in data:
        _check_department(municipality, actor, data["department"])
    changed = sorted(key for key, value in data.items() if getattr(faq, key) != value)
    for key in changed:
        setattr(faq, key, data[key])
    _check_unique_question(faq)
    full_clean_or_refuse(faq)
    faq.save()
    if changed:
        _revision(faq, actor, changed)
        audit_record(
            action="faq.updated",
            actor=actor,
            municipality=municipality,
            object_type="faq",
            object_id=str(faq.public_id),
            request=request,
            details={"fields": changed},
        )
        index_changed(municipality)
    return faq


@transaction.atomic
def faq_delete(*, faq: Faq, actor: Any, request: HttpRequest | None) -> None:
    municipality = faq.municipality
    _check_department(municipality, actor, faq.department)
    public_id = str(faq.public_id)
    faq.delete()
    audit_record(
        action="faq.deleted",
        actor=actor,
        municipality=municipality,
        object_type="faq",
        object_id=public_id,
        request=request,
        details={},
    )
    index_changed(municipality)


def _resolve_questions(municipality: Municipality, question_ids: list[str], faq: Faq) -> int:
    valid = []
    for value in question_ids[:500]:
        try:
            valid.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    if not valid:
        return 0
    return Question.objects.filter(municipality=municipality, public_id__in=valid, resolved_faq__isnull=True).update(
        resolved_faq=faq, resolved_at=timezone.now()
    )


@transaction.atomic
def faq_add_phrasing(*, faq: Faq, actor: Any, phrasing: str, resolves: list[str], request: HttpRequest | None) -> Faq:
    """Add a resident's wording to an existing FAQ (from a group of misses) and mark the group resolved."""
    municipality = faq.municipality
    phrasing = " ".join(clean_question(phrasing).split())
    if not phrasing:
        raise ServiceError("phrasing_required", _("追加する言い換えを入力してください。"), field="phrasing")
    if len(phrasing) > 200:
        raise ServiceError("phrasing_too_long", _("言い換えは200文字以内にしてください。"), field="phrasing")
    _check_department(municipality, actor, faq.department)
    existing = faq.phrasing_list()
    changed = phrasing not in existing and phrasing != faq.question
    if changed:
        faq.phrasings = "\n".join([*existing, phrasing])
        full_clean_or_refuse(faq)
        faq.save(update_fields=["phrasings", "updated_at"])
        _revision(faq, actor, ["phrasings"])
    resolved = _resolve_questions(municipality, resolves, faq)
    audit_record(
        action="faq.phrasing_added",
        actor=actor,
        municipality=municipality,
        object_type="faq",
        object_id=str(faq.public_id),
        request=request,
        details={"added": changed, "resolved_questions": resolved},
    )
    if changed:
        index_changed(municipality)
    return faq


@transaction.atomic
def synonym_save(
    *, municipality: Municipality, actor: Any, phrases: str, synonym: Synonym | None, request: HttpRequest | None
) -> Synonym:
    items = split_list(phrases)
    if len(items) < 2:
        raise ServiceError(
            "synonym_too_few", _("同じ意味の言葉を2つ以上、読点で区切って入力してください。"), field="phrases"
        )
    if any(len(item) > 50 for item in items):
        raise ServiceError("synonym_too_long", _("言葉は1つ50文字以内にしてください。"), field="phrases")
    value = "、".join(items)
    if synonym is None:
        synonym = Synonym(municipality=municipality)
    synonym.phrases = value
    full_clean_or_refuse(synonym)
    if Synonym.objects.filter(municipality=municipality, phrases=value).exclude(pk=synonym.pk).exists():
        raise ServiceError("synonym_duplicate", _("同じ組み合わせがすでにあります。"), field="phrases")
    created = synonym.pk is None
    synonym.save()
    audit_record(
        action="faq.synonym_created" if created else "faq.synonym_updated",
        actor=actor,
        municipality=municipality,
        object_type="faq_synonym",
        object_id=str(synonym.public_id),
        request=request,
        details={"phrases": items},
    )
    index_changed(municipality)
    return synonym


@transaction.atomic
def synonym_delete(*, synonym: Synonym, actor: Any, request: HttpRequest | None) -> None:
    municipality = synonym.municipality
    public_id = str(synonym.public_id)
    synonym.delete()
    audit_record(
        action="faq.synonym_deleted",
        actor=actor,
        municipality=municipality,
        object_type="faq_synonym",
        object_id=public_id,
        request=request,
        details={},
    )
    index_changed(municipality)


# --- Asking ----------------------------------------------------------------------------------------------


@dataclass
class Answer:
    question: Question | None
    text: str
    answered: bool
    confidence: float
    best: Faq | None
    related: list[Faq] = field(default_factory=list)
    candidates: list[Faq] = field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD / 100

    @property
    def department(self) -> Department | None:
        """The 課 to ask: the answer's, or the closest candidate's when the question was at least half-way to
        an answer. For a question far from every FAQ, None: the municipality's general contact is shown."""
        if not self.answered and self.confidence < self.threshold / 2:
            return None
        for faq in [self.best, *self.candidates]:
            if faq is not None and faq.department is not None:
                return faq.department
        return None


def threshold_for(municipality: Municipality) -> float:
    return int(module_settings(municipality, KEY).get("confidence_threshold", DEFAULT_THRESHOLD)) / 100


@transaction.atomic
def faq_ask(*, municipality: Municipality, text: str, channel: str = Channel.WEB, log: bool = True) -> Answer:
    """Rank this municipality's published FAQs for a resident's question and log the question, masked.
    Above the municipality's threshold the best FAQ is the answer with a few related ones; below it the
    candidates are offered with the department to ask."""
    cleaned = clean_question(text)
    if not cleaned:
        raise ServiceError("question_required", _("質問を入力してください。"), field="q", status=422)
    threshold = threshold_for(municipality)
    ranked = current_index(municipality).rank(cleaned, top=CANDIDATE_COUNT + 1)
    ids = [hit.id for hit in ranked.hits]
    faqs = {
        str(f.public_id): f
        for f in Faq.objects.filter(municipality=municipality, is_published=True, public_id__in=ids).select_related(
            "department"
        )
    }
    ordered = [faqs[i] for i in ids if i in faqs]
    answered = bool(ordered) and ranked.confidence >= threshold
    best = ordered[0] if answered else None
    related: list[Faq] = []
    if best is not None:
        # Related: the next candidates whose odds against the best (the hit score) are at least about a third,
        # then the same category's.
        floor = ranked.hits[0].score * RELATED_SCORE_SHARE
        close = {hit.id for hit in ranked.hits[1:] if hit.score >= floor}
        related = [f for f in ordered[1:] if str(f.public_id) in close][:RELATED_COUNT]
        if len(related) < RELATED_COUNT and best.category:
            related += list(
                Faq.objects.filter(municipality=municipality, is_published=True, category=best.category)
                .exclude(pk__in=[best.pk, *(f.pk for f in related)])
                .order_by("question")[: RELATED_COUNT - len(related)]
            )
    answer = Answer(
        question=None,
        text=cleaned,
        answered=answered,
        confidence=ranked.confidence,
        best=best,
        related=related,
        candidates=[] if answered else ordered[:CANDIDATE_COUNT],
        threshold=threshold,
    )
    if log:
        question = Question(
            municipality=municipality,
            text=mask_personal_data(cleaned)[:500],
            language=(get_language() or "ja")[:8],
            channel=channel,
            top_faq=ordered[0] if ordered else None,
            confidence=max(0.0, min(1.0, ranked.confidence)),
            answered=answered,
            candidates=[str(f.public_id) for f in ordered[:CANDIDATE_COUNT]],
        )
        full_clean_or_refuse(question)
        question.save()
        answer.question = question
    return answer


@transaction.atomic
def question_feedback(*, municipality: Municipality, question_id: str, helpful: bool) -> Question:
    """ "Was this helpful?" for one answered question. Sending the same answer again changes nothing."""
    from madoguchi.core.tenancy import get_object_in_municipality

    question = get_object_in_municipality(
        Question.objects.select_for_update().filter(municipality=municipality), municipality, public_id=question_id
    )
    if question.helpful is not helpful:
        question.helpful = helpful
        question.feedback_at = timezone.now()
        question.save(update_fields=["helpful", "feedback_at"])
    return question


def questions_prune(*, municipality: Municipality, now: datetime.datetime | None = None) -> int:
    days = int(module_settings(municipality, KEY).get("log_retention_days", DEFAULT_RETENTION_DAYS))
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    with transaction.atomic():
        deleted, _details = Question.objects.filter(municipality=municipality, asked_at__lt=cutoff).delete()
        if deleted:
            audit_record(
                action="faq.questions_pruned",
                actor=None,
                municipality=municipality,
                object_type="faq_question",
                object_id="",
                request=None,
                details={"deleted": deleted, "before": cutoff.isoformat()},
            )
    return deleted
