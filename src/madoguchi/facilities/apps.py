from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "madoguchi.facilities"
    label = "facilities"
    verbose_name = _("公共施設予約")

    def ready(self) -> None:
        from madoguchi.core.registry import registry

        from .manifest import MANIFEST

        registry.register(MANIFEST)

        from madoguchi.payments import purposes

        from . import payment

        purposes.register(
            purposes.Purpose(
                key=payment.PAYMENT_PURPOSE,
                label=_("公共施設の使用料"),
                on_paid=payment.booking_paid,
                next_url=payment.booking_next_url,
                reference=payment.booking_reference,
                staff_url=payment.booking_staff_url,
                lookup=payment.booking_lookup,
                outcome_messages=payment.OUTCOME_MESSAGES,
            )
        )
