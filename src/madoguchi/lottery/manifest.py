from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import ModuleManifest, NavEntry
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "lottery"

module_required = module_required_for(KEY)


def _seed(municipality: Any) -> None:
    from .demo import seed_lottery

    seed_lottery(municipality)


def _lazy(module: str, name: str) -> Callable[..., Any]:
    def provider(*args: Any, **kwargs: Any) -> Any:
        from importlib import import_module

        return getattr(import_module(f"madoguchi.lottery.{module}"), name)(*args, **kwargs)

    provider.__name__ = name
    return provider


MANIFEST = ModuleManifest(
    key=KEY,
    name=_("抽選予約"),
    description=_("人気の施設の利用枠を、受付期間中に申し込んで抽選で決めます。抽選は後から誰でも検証できます。"),
    public_urls="madoguchi.lottery.urls",
    staff_urls="madoguchi.lottery.staff_urls",
    api_router="madoguchi.lottery.api.router",
    public_nav=(NavEntry(_("施設の抽選"), "lottery:list"),),
    staff_nav=(NavEntry(_("抽選予約の管理"), "lottery_staff:home", "facilities.manage"),),
    enabled_by_default=False,
    kpi_providers=tuple(_lazy("kpis", name) for name in ("lottery_entries", "lottery_win_rate")),
    demo_seeder=_seed,
)
