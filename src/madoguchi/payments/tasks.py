"""Background work of the payments app (queued daily for each municipality through the manifest)."""

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from madoguchi.core.models import Municipality
from madoguchi.core.tenancy import municipality_scope


@task()
def expire_pending_payments(municipality_id: int) -> int:
    """Close online checkouts the resident never finished (older than PAYMENTS_PENDING_EXPIRY_HOURS), so a new
    payment can be started; 窓口払い never expires. Same service as `payments_expire`."""
    from .services import payments_expire

    municipality = Municipality.objects.get(pk=municipality_id)
    before = timezone.now() - datetime.timedelta(hours=settings.PAYMENTS_PENDING_EXPIRY_HOURS)
    with municipality_scope(municipality):
        return payments_expire(municipality=municipality, before=before)
