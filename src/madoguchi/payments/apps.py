from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "madoguchi.payments"
    label = "payments"
    verbose_name = _("お支払い")

    def ready(self) -> None:
        from madoguchi.core.registry import registry

        from . import checks  # noqa: F401  (registers the deploy check)
        from .manifest import MANIFEST

        registry.register(MANIFEST)
