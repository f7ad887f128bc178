from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from madoguchi.core.registry import ModuleManifest, NavEntry, SettingSpec
from madoguchi.core.tenancy import module_required as module_required_for

KEY = "notices"


# 404 when the municipality has switched this module off.
module_required = module_required_for(KEY)


def _home_section(request: HttpRequest) -> str:
    from .views import home_section

    return home_section(request)


def _seed(municipality: Any) -> None:
    from .demo import seed_notices

    seed_notices(municipality)


MANIFEST = ModuleManifest(
    key=KEY,
    name=_("お知らせ"),
    description=_("自治体からのお知らせ。重要なお知らせや緊急情報はトップページに表示されます。"),
    public_urls="madoguchi.notices.urls",
    staff_urls="madoguchi.notices.staff_urls",
    api_router="madoguchi.notices.api.router",
    public_nav=(NavEntry(_("お知らせ"), "notices:list"),),
    staff_nav=(NavEntry(_("お知らせ管理"), "notices_staff:list", "notices.manage"),),
    settings=(SettingSpec("home_count", _("トップページに表示する件数"), int, 5, minimum=1, maximum=20),),
    enabled_by_default=True,
    home_sections=(_home_section,),
    demo_seeder=_seed,
)
