"""Navigation built from the module registry and the user's permissions."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Municipality
from .registry import NavEntry, registry


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    current: bool
    accesskey: str = ""


# The back office's own screens, before any module's entries. accesskeys give staff keyboard shortcuts.
CORE_STAFF_NAV: tuple[tuple[NavEntry, str], ...] = (
    (NavEntry(_("ダッシュボード"), "staff:dashboard", "staff.dashboard"), "d"),
    (NavEntry(_("住民情報"), "staff:residents", "residents.view"), "r"),
    (NavEntry(_("職員と役割"), "staff:users", "staff.users.manage"), "u"),
    (NavEntry(_("課"), "staff:departments", "staff.departments.manage"), ""),
    (NavEntry(_("機能の利用設定"), "staff:modules", "staff.modules.manage"), ""),
    (NavEntry(_("自治体の設定"), "staff:settings", "staff.settings.manage"), ""),
    (NavEntry(_("監査ログ"), "staff:audit", "audit.view"), "a"),
    (NavEntry(_("APIトークン"), "staff:api_tokens", "staff.api_tokens.manage"), ""),
)


def _link(request: HttpRequest, municipality: Municipality, entry: NavEntry, accesskey: str = "") -> NavLink | None:
    try:
        url = reverse(entry.url_name, kwargs={"municipality_slug": municipality.slug})
    except NoReverseMatch:
        return None
    path = request.path
    current = path == url or (url.count("/") > 3 and path.startswith(url))
    return NavLink(entry.label, url, current, accesskey)


def public_nav(request: HttpRequest, municipality: Municipality) -> list[NavLink]:
    links = []
    for manifest in registry.enabled_for(municipality):
        for entry in manifest.public_nav:
            link = _link(request, municipality, entry)
            if link:
                links.append(link)
    return links


def staff_nav(request: HttpRequest, municipality: Municipality, permissions: frozenset[str]) -> list[NavLink]:
    links = []
    for entry, accesskey in CORE_STAFF_NAV:
        if entry.permission in permissions:
            link = _link(request, municipality, entry, accesskey)
            if link:
                links.append(link)
    for manifest in registry.enabled_for(municipality):
        for entry in manifest.staff_nav:
            if not entry.permission or entry.permission in permissions:
                link = _link(request, municipality, entry)
                if link:
                    links.append(link)
    return links
