"""Demo FAQ for a demo municipality (development only; idempotent): the shared base set of demo_data.py
with the municipality's name, URLs and departments, plus a few synonym groups."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from madoguchi.core.models import Department, Municipality

from .demo_data import DEMO_FAQ
from .index import index_changed
from .models import Faq, Synonym

DEMO_SYNONYMS = (
    "転入、引っ越してきた、引越してきた、移り住んだ",
    "転出、引っ越す、引っ越し先",
    "粗大ごみ、大きいごみ、大型ごみ",
    "住民票、じゅうみんひょう",
    "マイナンバーカード、マイナカード、個人番号カード",
    "保育園、保育所、こども園",
)


@transaction.atomic
def seed_faq(municipality: Municipality) -> None:
    departments = {d.slug: d for d in Department.objects.filter(municipality=municipality)}
    today = timezone.localdate()
    changed = False
    for category, department_slug, question, phrasings, answer, keywords in DEMO_FAQ:
        values = {"city": municipality.name, "slug": municipality.slug}
        _faq, created = Faq.objects.get_or_create(
            municipality=municipality,
            question=question.format(**values),
            defaults={
                "phrasings": "\n".join(p.format(**values) for p in phrasings),
                "answer": answer.format(**values),
                "category": category,
                "department": departments.get(department_slug),
                "keywords": keywords,
                "is_published": True,
                "last_reviewed_on": today,
            },
        )
        changed |= created
    for phrases in DEMO_SYNONYMS:
        _synonym, created = Synonym.objects.get_or_create(municipality=municipality, phrases=phrases)
        changed |= created
    if changed:
        index_changed(municipality)
