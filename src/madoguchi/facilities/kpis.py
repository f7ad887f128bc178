"""KPI metric providers (registered in the manifest), computed from live data: facilities bookable online,
online bookings per 年度, online share, cashless share, and utilisation per facility.

Each provider is called as `provider(municipality, fiscal_year=…)` and returns a `Metric`; utilisation also
carries `breakdown`, one entry per facility (slug → share of units booked in the 年度 so far).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality

from .models import BookedUnit, Booking, BookingChannel, BookingSource, BookingStatus, Facility, PaymentMethod, TimeSlot
from .services import closed_reason

COUNTED = (BookingStatus.PROVISIONAL, BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    value: float | int | None
    unit: str
    breakdown: dict[str, float | None] = field(default_factory=dict)


def _bounds(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(fiscal_year, 4, 1), datetime.date(fiscal_year + 1, 3, 31)


def _bookings(municipality: Municipality, fiscal_year: int) -> Any:
    first, last = _bounds(fiscal_year)
    return Booking.objects.filter(
        municipality=municipality, date__gte=first, date__lte=last, status__in=COUNTED
    ).exclude(source=BookingSource.STAFF, registration__isnull=True)


def facilities_online(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Published facilities taking online bookings with at least one bookable room now."""
    count = (
        Facility.objects.filter(municipality=municipality, is_published=True, online_booking=True)
        .filter(rooms__is_bookable=True, rooms__slots__is_active=True)
        .distinct()
        .count()
    )
    return Metric("facilities.online_count", _("オンラインで予約できる施設数"), count, "件")


def online_bookings(municipality: Municipality, *, fiscal_year: int) -> Metric:
    count = _bookings(municipality, fiscal_year).filter(channel=BookingChannel.ONLINE).count()
    return Metric("facilities.online_bookings", _("オンライン予約数"), count, "件")


def online_share(municipality: Municipality, *, fiscal_year: int) -> Metric:
    counts = _bookings(municipality, fiscal_year).aggregate(
        total=Count("pk"), online=Count("pk", filter=Q(channel=BookingChannel.ONLINE))
    )
    value = round(counts["online"] * 100 / counts["total"], 1) if counts["total"] else None
    return Metric("facilities.online_share", _("施設予約のオンライン率"), value, "%")


def cashless_share(municipality: Municipality, *, fiscal_year: int) -> Metric:
    """Share of paid bookings paid online (not 窓口払い); free bookings do not count."""
    counts = (
        _bookings(municipality, fiscal_year)
        .filter(paid_at__isnull=False)
        .aggregate(
            total=Count("pk", filter=Q(payment_method__in=(PaymentMethod.ONLINE, PaymentMethod.COUNTER))),
            online=Count("pk", filter=Q(payment_method=PaymentMethod.ONLINE)),
        )
    )
    value = round(counts["online"] * 100 / counts["total"], 1) if counts["total"] else None
    return Metric("facilities.cashless_share", _("施設使用料のキャッシュレス率"), value, "%")


def utilisation(municipality: Municipality, *, fiscal_year: int, today: datetime.date | None = None) -> Metric:
    """Units booked (provisional, confirmed, no-show) ÷ units offered on open days, 年度 start to today."""
    first, last = _bounds(fiscal_year)
    end = min(last, today or timezone.localdate())
    breakdown: dict[str, float | None] = {}
    total_offered = total_booked = 0
    facilities = list(Facility.objects.filter(municipality=municipality, is_published=True))
    units_per_facility = dict(
        TimeSlot.objects.filter(municipality=municipality, is_active=True, room__is_bookable=True)
        .values_list("room__facility_id")
        .annotate(n=Count("pk"))
    )
    booked = dict(
        BookedUnit.objects.filter(
            municipality=municipality,
            date__gte=first,
            date__lte=end,
            booking__status__in=(BookingStatus.PROVISIONAL, BookingStatus.CONFIRMED, BookingStatus.NO_SHOW),
        )
        .exclude(booking__status=BookingStatus.BLOCKED)
        .values_list("room__facility_id")
        .annotate(n=Count("pk"))
    )
    for facility in facilities:
        open_days = 0
        day = first
        while day <= end:
            if closed_reason(facility, day) is None:
                open_days += 1
            day += datetime.timedelta(days=1)
        offered = open_days * units_per_facility.get(facility.pk, 0)
        used = booked.get(facility.pk, 0)
        breakdown[facility.slug] = round(used * 100 / offered, 1) if offered else None
        total_offered += offered
        total_booked += used
    value = round(total_booked * 100 / total_offered, 1) if total_offered else None
    return Metric("facilities.utilisation", _("施設の稼働率"), value, "%", breakdown)


PROVIDERS = (facilities_online, online_bookings, online_share, cashless_share, utilisation)
