from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LotteryConfig(AppConfig):
    name = "madoguchi.lottery"
    label = "lottery"
    verbose_name = _("抽選予約")

    def ready(self) -> None:
        from madoguchi.core.registry import registry

        from .manifest import MANIFEST

        registry.register(MANIFEST)
