"""KPI metric providers (registered in the manifest): questions per 年度, answer rate (share at or above the
threshold), helpful rate, and the most frequent unanswered topics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality

from .models import Question


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    value: Any
    unit: str


def _in_year(municipality: Municipality, fiscal_year: int) -> Any:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(fiscal_year, 4, 1, tzinfo=tz)
    end = datetime.datetime(fiscal_year + 1, 4, 1, tzinfo=tz)
    return Question.objects.filter(municipality=municipality, asked_at__gte=start, asked_at__lt=end)


def questions_asked(municipality: Municipality, *, fiscal_year: int) -> Metric:
    return Metric("faq.questions", _("AIチャットボットへの質問数"), _in_year(municipality, fiscal_year).count(), "件")


def answer_rate(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Share of questions answered with confidence (AI 相談対応率); None without any question."""
    counts = _in_year(municipality, fiscal_year).aggregate(
        total=Count("pk"), answered=Count("pk", filter=Q(answered=True))
    )
    value = round(100 * counts["answered"] / counts["total"], 1) if counts["total"] else None
    return Metric("faq.answer_rate", _("AIチャットボットの回答率"), value, "%")


def helpful_rate(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Share of "helpful" among the answers that got feedback; None without any feedback."""
    counts = _in_year(municipality, fiscal_year).aggregate(
        rated=Count("pk", filter=Q(helpful__isnull=False)), helpful=Count("pk", filter=Q(helpful=True))
    )
    value = round(100 * counts["helpful"] / counts["rated"], 1) if counts["rated"] else None
    return Metric("faq.helpful_rate", _("回答が役に立った割合"), value, "%")


def top_unanswered(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """The five largest groups of unanswered questions of the 年度: [{text, count}]."""
    from .selectors import miss_groups

    start = datetime.date(fiscal_year, 4, 1)
    days = max(1, (timezone.localdate() - start).days + 1)
    groups = [g for g in miss_groups(municipality, days=days) if g.last_asked and g.last_asked.date() >= start]
    return Metric(
        "faq.top_unanswered",
        _("答えられなかった質問の上位"),
        [{"text": g.text, "count": g.count} for g in groups[:5]],
        "件",
    )
