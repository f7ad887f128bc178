"""Background work of the lottery: telling every registration that won nothing, after the draw committed.

One message per registration (not per entry), rendered once per language, sent in the worker: a draw of
10,000 entries stays a short transaction. Winners are told by the facilities 仮予約 e-mail."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from madoguchi.core.tenancy import municipality_scope


def notify_losers(municipality_id: int, round_id: int) -> int:
    from .models import EntryStatus, LotteryEntry, LotteryRound

    with municipality_scope(municipality_id):
        lottery = LotteryRound.objects.select_related("municipality").get(municipality_id=municipality_id, pk=round_id)
        entries = LotteryEntry.objects.filter(round=lottery, status=EntryStatus.ACTIVE).select_related(
            "registration__user", "win"
        )
        winners = {e.registration_id for e in entries if getattr(e, "win", None) is not None}
        recipients: dict[str, str] = {}
        for entry in entries:
            user = entry.registration.user
            if entry.registration_id not in winners and user.email:
                recipients[user.email] = getattr(user, "preferred_language", "ja") or "ja"
        rendered: dict[str, tuple[str, str]] = {}
        context = {"lottery": lottery, "municipality": lottery.municipality}
        for language in set(recipients.values()):
            with translation.override(language):
                subject = " ".join(render_to_string("lottery/email/not_won_subject.txt", context).split())
                rendered[language] = (subject, render_to_string("lottery/email/not_won_body.txt", context))
        for address, language in sorted(recipients.items()):
            subject, body = rendered[language]
            EmailMessage(subject=subject, body=body, to=[address]).send(fail_silently=False)
        return len(recipients)


@task()
def notify_losers_task(municipality_id: int, round_id: int) -> dict[str, int]:
    return {"sent": notify_losers(municipality_id, round_id)}
