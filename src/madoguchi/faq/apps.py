from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "madoguchi.faq"
    label = "faq"
    verbose_name = _("よくある質問（AIチャットボット）")

    def ready(self) -> None:
        from madoguchi.core.registry import registry

        from .manifest import MANIFEST

        registry.register(MANIFEST)
