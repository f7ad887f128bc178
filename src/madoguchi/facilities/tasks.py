"""Background work of the facilities module (queued by the daily maintenance through the manifest)."""

from django_tasks import task

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope


@task()
def expire_provisional_bookings(municipality_id: int) -> dict[str, int]:
    """Unpaid 仮予約 past their deadline expire and their units return to the calendar.

    Booking also expires overdue 仮予約 on the units it wants, and availability shows them free, so a slot
    returns at its deadline even between runs of this task. Their open online checkouts are closed first, so
    nobody pays for a slot that is no longer theirs."""
    from django.utils import timezone

    from .payment import overdue_checkouts_close
    from .services import bookings_expire

    municipality = Municipality.objects.get(pk=municipality_id)
    now = timezone.now()
    with municipality_scope(municipality):
        closed = overdue_checkouts_close(municipality=municipality, now=now)
        return {"expired": bookings_expire(municipality=municipality, now=now), "checkouts_closed": closed}
