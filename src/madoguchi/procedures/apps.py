from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "madoguchi.procedures"
    label = "procedures"
    verbose_name = _("電子申請")

    def ready(self) -> None:
        from madoguchi.core.registry import registry

        from . import (
            catalogue_cache,
            files,  # noqa: F401 - connects the deletion of stored objects to their rows
        )

        catalogue_cache.connect()
        from .manifest import MANIFEST

        registry.register(MANIFEST)

        from madoguchi.payments import purposes

        from . import journey

        purposes.register(
            purposes.Purpose(
                key=journey.PAYMENT_PURPOSE,
                label=_("電子申請の手数料"),
                on_paid=journey.submission_paid,
                next_url=journey.submission_next_url,
                reference=journey.submission_reference,
                staff_url=journey.submission_staff_url,
                lookup=journey.submission_lookup,
            )
        )
