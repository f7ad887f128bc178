from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import ModuleManifest, NavEntry, SettingSpec
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "faq"

# 404 when the municipality has switched this module off.
module_required = module_required_for(KEY)

DEFAULT_THRESHOLD = 45  # percent; tuned so that the demo FAQ answers its own topics and admits the rest
DEFAULT_RETENTION_DAYS = 365


def _page_section(request: HttpRequest) -> str:
    from .views import widget

    return widget(request)


def _seed(municipality: Any) -> None:
    from .demo import seed_faq

    seed_faq(municipality)


def _kpi_providers() -> tuple[Callable[..., Any], ...]:
    def lazy(name: str) -> Callable[..., Any]:
        def provider(municipality: Any, *, fiscal_year: int) -> Any:
            from . import kpis

            return getattr(kpis, name)(municipality, fiscal_year=fiscal_year)

        provider.__name__ = name
        return provider

    return tuple(lazy(name) for name in ("questions_asked", "answer_rate", "helpful_rate", "top_unanswered"))


MANIFEST = ModuleManifest(
    key=KEY,
    name=_("AIチャットボット"),
    description=_("よくある質問から、住民の質問に24時間答えます。答えられない質問は職員が確認してFAQを増やせます。"),
    public_urls="madoguchi.faq.urls",
    staff_urls="madoguchi.faq.staff_urls",
    api_router="madoguchi.faq.api.router",
    public_nav=(NavEntry(_("質問する"), "faq:chat"),),
    staff_nav=(
        NavEntry(_("FAQの管理"), "faq_staff:list", "faq.manage"),
        NavEntry(_("答えられなかった質問"), "faq_staff:misses", "faq.manage"),
    ),
    settings=(
        SettingSpec(
            "confidence_threshold", _("回答する確信度のしきい値（%）"), int, DEFAULT_THRESHOLD, minimum=5, maximum=95
        ),
        SettingSpec(
            "log_retention_days", _("質問の記録を残す日数"), int, DEFAULT_RETENTION_DAYS, minimum=30, maximum=1825
        ),
    ),
    enabled_by_default=False,
    kpi_providers=_kpi_providers(),
    demo_seeder=_seed,
    page_sections=(_page_section,),
    maintenance_tasks=("madoguchi.faq.tasks.prune_questions",),
)
