from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "madoguchi.notices"
    label = "notices"
    verbose_name = _("お知らせ")

    def ready(self) -> None:
        from madoguchi.core.registry import registry

        from .manifest import MANIFEST

        registry.register(MANIFEST)
