from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import ModuleManifest, NavEntry
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "procedures"


# 404 when the municipality has switched this module off.
module_required = module_required_for(KEY)


def _seed(municipality: Any) -> None:
    from .demo import seed_procedures

    seed_procedures(municipality)


def _kpi_providers() -> tuple[Callable[..., Any], ...]:
    def lazy(name: str) -> Callable[..., Any]:
        def provider(municipality: Any, *, fiscal_year: int) -> Any:
            from . import kpis

            return getattr(kpis, name)(municipality, fiscal_year=fiscal_year)

        provider.__name__ = name
        return provider

    return tuple(
        lazy(name) for name in ("procedures_online", "online_submissions", "median_processing_days", "cashless_share")
    )


MANIFEST = ModuleManifest(
    key=KEY,
    name=_("電子申請"),
    description=_(
        "役所に行かずに、スマートフォンやパソコンから申請・届出ができます。手続ごとに必要なものや手数料も確認できます。"
    ),
    public_urls="madoguchi.procedures.urls",
    staff_urls="madoguchi.procedures.staff_urls",
    api_router="madoguchi.procedures.api.router",
    public_nav=(NavEntry(_("手続をさがす"), "procedures:catalogue"), NavEntry(_("申請一覧"), "procedures:mine")),
    staff_nav=(
        NavEntry(_("申請の受付"), "procedures_staff:inbox", "procedures.manage"),
        NavEntry(_("手続の管理"), "procedures_staff:list", "procedures.manage"),
    ),
    enabled_by_default=False,
    kpi_providers=_kpi_providers(),
    demo_seeder=_seed,
    maintenance_tasks=("madoguchi.procedures.tasks.expire_drafts",),
)
