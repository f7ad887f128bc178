from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import DatasetProvider, ModuleManifest, NavEntry
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "opendata"

module_required = module_required_for(KEY)


def _seed(municipality: Any) -> None:
    from .demo import seed_opendata

    seed_opendata(municipality)


def _kpi_providers() -> tuple[Callable[..., Any], ...]:
    def lazy(name: str) -> Callable[..., Any]:
        def provider(municipality: Any, *, fiscal_year: int) -> Any:
            from . import kpis

            return getattr(kpis, name)(municipality, fiscal_year=fiscal_year)

        provider.__name__ = name
        return provider

    names = ("datasets_published", "standard_datasets_covered", "datasets_updated", "downloads")
    return tuple(lazy(name) for name in names)


def _lazy_rows(name: str) -> Callable[..., Any]:
    def call(municipality: Any) -> Any:
        from . import providers

        return getattr(providers, name)(municipality)

    return call


OPENDATA_LIST_PROVIDER = DatasetProvider(
    key="opendata.opendata_list",
    standard="06",
    title=_("オープンデータ一覧"),
    rows=_lazy_rows("opendata_list_rows"),
    last_changed=_lazy_rows("opendata_list_last_changed"),
)


def _home_section(request: Any) -> str:
    from .views import home_section

    return home_section(request)


MANIFEST = ModuleManifest(
    key=KEY,
    name=_("オープンデータ"),
    description=_("市が公開するデータを検索し、CSV などでダウンロードできます。CKAN 互換の API でも取得できます。"),
    public_urls="madoguchi.opendata.urls",
    staff_urls="madoguchi.opendata.staff_urls",
    public_nav=(NavEntry(_("オープンデータ"), "opendata:catalogue"),),
    staff_nav=(NavEntry(_("オープンデータの管理"), "opendata_staff:list", "opendata.manage"),),
    enabled_by_default=False,
    kpi_providers=_kpi_providers(),
    dataset_providers=(OPENDATA_LIST_PROVIDER,),
    demo_seeder=_seed,
    home_sections=(_home_section,),
    maintenance_tasks=("madoguchi.opendata.tasks.refresh_live_datasets",),
)
