"""One ranking index per municipality, held in each process and rebuilt when the FAQ changes.

`FaqIndexState.version` (one row per municipality) is raised in the same transaction as every change to an
FAQ or synonym. Each process keeps `{municipality id: (version, index)}`; a question costs one small query
(the version) and the cached index answers it. A process that sees a newer version rebuilds: from the tokens
the `rebuild_index` task stored for that version (no morphological analysis), or, when the task has not run
yet or stored an older analysis, by analysing the FAQs itself (texts it analysed before come from the
tokenizer's cache, so after one FAQ changed only that FAQ is analysed). So every gunicorn worker picks up a change at its next question.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from madoguchi.core.models import Municipality

from . import retrieval
from .models import Faq, FaqIndexState, Synonym


@dataclass(frozen=True)
class MunicipalityIndex:
    generation: str
    version: int
    index: retrieval.Index


_CACHE: dict[int, MunicipalityIndex] = {}
_LOCK = threading.Lock()


def _documents(municipality: Municipality) -> list[tuple[Faq, retrieval.Document]]:
    faqs = Faq.objects.filter(municipality=municipality, is_published=True).order_by("pk")
    return [(faq, faq_document(faq)) for faq in faqs]


def faq_document(faq: Faq) -> retrieval.Document:
    from .text import plain_answer, split_list

    question_side = "\n".join([faq.question, *faq.phrasing_list(), " ".join(split_list(faq.keywords))])
    return retrieval.Document(id=str(faq.public_id), question=question_side, answer=plain_answer(faq.answer))


def _synonyms(municipality: Municipality) -> retrieval.Synonyms:
    return retrieval.Synonyms(s.phrase_list() for s in Synonym.objects.filter(municipality=municipality))


def state_for(municipality: Municipality) -> FaqIndexState:
    state = (
        FaqIndexState.objects.filter(municipality=municipality).only("generation", "version", "built_version").first()
    )
    if state is None:
        try:
            with transaction.atomic():
                state = FaqIndexState.objects.create(municipality=municipality)
        except IntegrityError:  # another process created it first
            state = FaqIndexState.objects.only("generation", "version", "built_version").get(municipality=municipality)
    return state


def index_changed(municipality: Municipality) -> None:
    """Called by every service that changes what the index holds, inside its transaction; the rebuild task
    is queued once the change is committed."""
    state_for(municipality)
    FaqIndexState.objects.filter(municipality=municipality).update(version=F("version") + 1)

    # One rebuild per transaction and municipality (a CSV import changes hundreds of FAQs in one).
    pending = getattr(transaction.get_connection(), "run_on_commit", [])
    if any(getattr(entry[1], "faq_index_municipality", None) == municipality.pk for entry in pending):
        return

    def enqueue() -> None:
        from .tasks import rebuild_index

        rebuild_index.enqueue(municipality.pk)

    enqueue.faq_index_municipality = municipality.pk  # type: ignore[attr-defined]
    transaction.on_commit(enqueue)


def tokenize_for_storage(municipality: Municipality) -> list[list]:
    return [retrieval.tokenize_document(doc).to_stored() for _faq, doc in _documents(municipality)]


def rebuild_stored_tokens(municipality: Municipality) -> int:
    """The task's work: tokenise the published FAQs and store them for the version current at the start.
    Returns that version. A change during the work raises the version again, so its own task follows."""
    state = state_for(municipality)
    version = state.version
    if state.built_version == version:
        return version
    tokens = tokenize_for_storage(municipality)
    FaqIndexState.objects.filter(municipality=municipality, version=version).update(
        tokens=tokens, built_version=version, built_at=timezone.now()
    )
    return version


def _from_tokens(municipality: Municipality, rows: list[list], synonyms: retrieval.Synonyms) -> retrieval.Index | None:
    """The index from the stored Sudachi output (BM25, cosine and LSA only, no analysis); None when the rows are
    of an older analysis or do not match the published FAQs, so the caller analyses the texts itself."""
    published = {doc.id for _faq, doc in _documents(municipality)}
    documents = [retrieval.TokenizedDocument.from_stored(row) for row in rows]
    if any(d is None for d in documents):
        return None
    kept = [d for d in documents if d is not None and d.id in published]
    if len(kept) != len(published):
        return None
    return retrieval.Index(kept, synonyms=synonyms)


def build_index(municipality: Municipality) -> retrieval.Index:
    return retrieval.Index.build([doc for _faq, doc in _documents(municipality)], synonyms=_synonyms(municipality))


def current_index(municipality: Municipality) -> retrieval.Index:
    """This municipality's index at the current version (rebuilt in this process when it is behind)."""
    state = state_for(municipality)
    cached = _CACHE.get(municipality.pk)
    key = (str(state.generation), state.version)
    if cached is not None and (cached.generation, cached.version) == key:
        return cached.index
    with _LOCK:
        cached = _CACHE.get(municipality.pk)
        if cached is not None and (cached.generation, cached.version) == key:
            return cached.index
        stored = None
        if state.built_version == state.version:
            stored = (
                FaqIndexState.objects.filter(municipality=municipality, built_version=state.version)
                .values_list("tokens", flat=True)
                .first()
            )
        synonyms = _synonyms(municipality)
        index = _from_tokens(municipality, stored, synonyms) if stored else None
        if index is None:
            index = build_index(municipality)
        _CACHE[municipality.pk] = MunicipalityIndex(str(state.generation), state.version, index)
        return index


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
