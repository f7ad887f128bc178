"""KPI metric providers (registered in the manifest) for the plans' indicators, computed from live data:
電子申請の手続き業務数 (procedures online), オンライン申請数 per 年度, processing time per procedure, and the
cashless payment share (キャッシュレス決済の割合) of fees."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality

from .models import FormVersion, Procedure, Submission, SubmissionStatus


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    value: float | int | None
    unit: str


def _fiscal_year_bounds(fiscal_year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime(fiscal_year, 4, 1, tzinfo=tz),
        datetime.datetime(fiscal_year + 1, 4, 1, tzinfo=tz),
    )


def procedures_online(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Published procedures that have a live online form now (電子申請の手続き業務数)."""
    count = (
        Procedure.objects.filter(municipality=municipality, is_published=True)
        .exclude(channel="counter")
        .filter(form_versions__status=FormVersion.Status.LIVE)
        .distinct()
        .count()
    )
    return Metric("procedures.online_count", _("オンラインで申請できる手続数"), count, "件")


def online_submissions(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Applications submitted online in the 年度 (オンライン申請数)."""
    start, end = _fiscal_year_bounds(fiscal_year)
    count = (
        Submission.objects.filter(municipality=municipality, submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status=SubmissionStatus.DRAFT)
        .count()
    )
    return Metric("procedures.online_submissions", _("オンライン申請数"), count, "件")


def median_processing_days(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Median days from submission to completion of applications completed in the 年度 (None without any)."""
    start, end = _fiscal_year_bounds(fiscal_year)
    durations = [
        (completed - submitted).total_seconds() / 86400
        for submitted, completed in Submission.objects.filter(
            municipality=municipality,
            status=SubmissionStatus.COMPLETED,
            completed_at__gte=start,
            completed_at__lt=end,
            submitted_at__isnull=False,
        ).values_list("submitted_at", "completed_at")
        if submitted is not None and completed is not None
    ]
    value = round(statistics.median(durations), 1) if durations else None
    return Metric("procedures.median_processing_days", _("処理日数（中央値）"), value, "日")


def cashless_share(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Share (%) of application fees paid in the 年度 that were paid online rather than at the counter
    (キャッシュレス決済の割合; refunded payments count: they were paid). None when no fee was paid."""
    from madoguchi.payments.models import PaymentMethod
    from madoguchi.payments.selectors import paid_counts_by_method

    from .journey import PAYMENT_PURPOSE

    start, end = _fiscal_year_bounds(fiscal_year)
    counts = paid_counts_by_method(municipality, purpose_prefix=PAYMENT_PURPOSE, start=start, end=end)
    total = sum(counts.values())
    value = round(100 * counts.get(PaymentMethod.CARD, 0) / total, 1) if total else None
    return Metric("procedures.cashless_share", _("キャッシュレス決済の割合"), value, "%")


PROVIDERS = (procedures_online, online_submissions, median_processing_days, cashless_share)
