"""The public catalogue's rendered search results, cached per municipality until its catalogue changes.

Residents search the same few words all day (住民票, 転入, 粗大ごみ); rendering twenty cards and the filter form is
most of a search's time, the query itself a few milliseconds. The page caches that part of its HTML under a
version token per municipality; any write to what the cards show (procedures, their fees, life events,
departments, the fee table) replaces the token, so the next search renders afresh.

The token is replaced at once and again when the writing transaction commits: the first keeps a search made
in the same transaction fresh, the second makes sure no search that read the database before the commit can
leave its stale page under the new token.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction

CACHE_SECONDS = 600


def _key(municipality_id: int) -> str:
    return f"madoguchi:procedures:catalogue-version:{municipality_id}"


def catalogue_version(municipality_id: int) -> str:
    """The current token of this municipality's catalogue (made when none is cached)."""
    token = cache.get(_key(municipality_id))
    if token is None:
        token = uuid.uuid4().hex
        cache.add(_key(municipality_id), token, None)
        token = cache.get(_key(municipality_id), token)
    return str(token)


def catalogue_changed(municipality_id: int | None) -> None:
    if municipality_id is None:
        return

    def replace() -> None:
        cache.set(_key(municipality_id), uuid.uuid4().hex, None)

    replace()
    transaction.on_commit(replace)


def _changed_by(instance: Any) -> int | None:
    """The municipality whose catalogue a saved or deleted row belongs to."""
    municipality_id = getattr(instance, "municipality_id", None)
    if municipality_id is None and getattr(instance, "procedure_id", None) is not None:
        from .models import Procedure

        municipality_id = (
            Procedure.objects.filter(pk=instance.procedure_id).values_list("municipality_id", flat=True).first()
        )
    return municipality_id


def on_row_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    catalogue_changed(_changed_by(instance))


def on_fees_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed(getattr(instance, "municipality_id", None))


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from madoguchi.core.models import Department

    from .models import Fee, Procedure, ProcedureLifeEvent

    for model in (Procedure, Fee, ProcedureLifeEvent, Department):
        post_save.connect(on_row_changed, sender=model, dispatch_uid=f"catalogue-cache-save-{model.__name__}")
        post_delete.connect(on_row_changed, sender=model, dispatch_uid=f"catalogue-cache-delete-{model.__name__}")
    m2m_changed.connect(on_fees_changed, sender=Procedure.fees.through, dispatch_uid="catalogue-cache-fees")
