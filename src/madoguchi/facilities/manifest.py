from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import ModuleManifest, NavEntry, SettingSpec
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "facilities"

# 404 when the municipality has switched this module off.
module_required = module_required_for(KEY)

PAYMENT_HOURS = "payment_hours"
NO_SHOW_LIMIT = "no_show_limit"


def _seed(municipality: Any) -> None:
    from .demo import seed_facilities

    seed_facilities(municipality)


def _lazy(module: str, name: str) -> Callable[..., Any]:
    def provider(*args: Any, **kwargs: Any) -> Any:
        from importlib import import_module

        return getattr(import_module(f"madoguchi.facilities.{module}"), name)(*args, **kwargs)

    provider.__name__ = name
    return provider


MANIFEST = ModuleManifest(
    key=KEY,
    name=_("公共施設予約"),
    description=_("体育館・公民館・会議室などの空き状況を調べて、オンラインで予約できます。"),
    public_urls="madoguchi.facilities.urls",
    staff_urls="madoguchi.facilities.staff_urls",
    api_router="madoguchi.facilities.api.router",
    public_nav=(NavEntry(_("施設をさがす"), "facilities:list"), NavEntry(_("施設の予約一覧"), "facilities:mine")),
    staff_nav=(NavEntry(_("施設予約の管理"), "facilities_staff:home", "facilities.counter"),),
    settings=(
        SettingSpec(PAYMENT_HOURS, _("仮予約のお支払い期限（時間）"), int, 72, minimum=1, maximum=24 * 14),
        SettingSpec(NO_SHOW_LIMIT, _("利用停止にする無断キャンセルの点数"), int, 2, minimum=1, maximum=10),
    ),
    enabled_by_default=False,
    kpi_providers=tuple(
        _lazy("kpis", name)
        for name in ("facilities_online", "online_bookings", "online_share", "cashless_share", "utilisation")
    ),
    dataset_providers=(_lazy("opendata", "public_facilities"),),
    demo_seeder=_seed,
    maintenance_tasks=("madoguchi.facilities.tasks.expire_provisional_bookings",),
)
