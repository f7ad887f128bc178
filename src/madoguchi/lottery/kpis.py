"""KPI providers: lottery entries and the win rate per 年度 (rounds whose use period starts in the 年度).

Entries counted are those that took part in a draw or are waiting for one (withdrawn and excluded entries do
not count); the win rate is wins / counted entries of drawn or published rounds (None without any)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality
from madoguchi.facilities.kpis import Metric

from .models import EntryStatus, LotteryEntry, LotteryWin, RoundStatus


def _bounds(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(fiscal_year, 4, 1), datetime.date(fiscal_year + 1, 3, 31)


def _entries(municipality: Municipality, fiscal_year: int) -> QuerySet[LotteryEntry]:
    first, last = _bounds(fiscal_year)
    return LotteryEntry.objects.filter(
        municipality=municipality, round__use_from__gte=first, round__use_from__lte=last
    ).exclude(status__in=(EntryStatus.WITHDRAWN, EntryStatus.EXCLUDED))


def lottery_entries(municipality: Municipality, *, fiscal_year: int) -> Metric:
    return Metric("lottery.entries", _("抽選の申込数"), _entries(municipality, fiscal_year).count(), "件")


def lottery_win_rate(municipality: Municipality, *, fiscal_year: int) -> Metric:
    decided = _entries(municipality, fiscal_year).filter(round__status__in=(RoundStatus.DRAWN, RoundStatus.PUBLISHED))
    total = decided.count()
    wins = LotteryWin.objects.filter(municipality=municipality, entry__in=decided).count()
    return Metric("lottery.win_rate", _("抽選の当選率"), round(wins / total, 4) if total else None, "ratio")
