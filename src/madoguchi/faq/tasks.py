"""Background work of the FAQ module."""

from __future__ import annotations

from django_tasks import task

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope


@task()
def rebuild_index(municipality_id: int) -> dict[str, int]:
    """Tokenise the municipality's published FAQs once, for every web process to load (queued on change)."""
    from .index import rebuild_stored_tokens

    municipality = Municipality.objects.get(pk=municipality_id)
    with municipality_scope(municipality):
        return {"version": rebuild_stored_tokens(municipality)}


@task()
def prune_questions(municipality_id: int) -> dict[str, int]:
    """Delete logged questions older than the municipality's retention (queued by the daily maintenance)."""
    from .services import questions_prune

    municipality = Municipality.objects.get(pk=municipality_id)
    with municipality_scope(municipality):
        return {"deleted": questions_prune(municipality=municipality)}
