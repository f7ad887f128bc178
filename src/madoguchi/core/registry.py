"""The module registry: each capability declares a manifest; each municipality switches modules on and off.

Extension points stay few and explicit (guide §3): navigation, staff dashboard cards, per-municipality
settings, KPI metric providers, open-data dataset providers and a demo-data seeder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from .models import Municipality


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str  # reversed with municipality_slug
    permission: str = ""  # staff permission needed to see it; empty for public entries


@dataclass(frozen=True)
class SettingSpec:
    """One per-municipality setting of a module: shown in the module switch screen, validated on save."""

    key: str
    label: str | Promise
    kind: type  # int, bool or str
    default: Any
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class DatasetProvider:
    """A live open data dataset a module supplies from its own data (manifest `dataset_providers`).

    - `key`: unique, "<module>.<name>" (e.g. "facilities.public_facilities"); datasets remember it.
    - `standard`: the 自治体標準オープンデータセット number it implements ("01" 公共施設一覧); the rows are
      dicts keyed by that standard's current column names (opendata/standards/), values as strings; a
      column left out is empty. The open data module validates the rows like an upload.
    - `rows(municipality)`: an iterable of those dicts, read inside the municipality's scope.
    - `last_changed(municipality)`: when the source data last changed (aware datetime), or None when
      there is none; the regeneration task rebuilds the dataset only when this is newer than its copy.
    Calling the provider is `rows`, so it satisfies the manifest's Callable type.
    """

    key: str
    standard: str
    title: str | Promise
    rows: Callable[[Municipality], Any]
    last_changed: Callable[[Municipality], Any]
    english_id: str = ""  # file name part (<code>_<english_id>.csv); the standard's own when empty

    def __call__(self, municipality: Municipality) -> Any:
        return self.rows(municipality)


@dataclass(frozen=True)
class ModuleManifest:
    key: str
    name: str | Promise
    description: str | Promise
    public_urls: str | None = None  # dotted path of a urlconf mounted at /<slug>/<key>/
    staff_urls: str | None = None  # dotted path of a urlconf mounted at /<slug>/staff/<key>/
    api_router: str | None = None  # dotted path of a ninja Router mounted at /api/v1/municipalities
    public_nav: tuple[NavEntry, ...] = ()
    staff_nav: tuple[NavEntry, ...] = ()
    settings: tuple[SettingSpec, ...] = ()
    enabled_by_default: bool = False
    kpi_providers: tuple[Callable[..., Any], ...] = ()
    dataset_providers: tuple[Callable[..., Any], ...] = ()
    demo_seeder: Callable[[Municipality], None] | None = None
    # Callables (request) -> HTML or "" that contribute a section to the municipality home page.
    home_sections: tuple[Callable[[Any], str], ...] = ()
    # Callables (request) -> HTML or "" rendered at the end of every resident page of a municipality that has
    # the module on (not the back office), e.g. the FAQ chat widget.
    page_sections: tuple[Callable[[Any], str], ...] = ()
    # Dotted paths of django-tasks tasks taking a municipality id, enqueued for every municipality by the
    # daily maintenance (e.g. expiring a module's old drafts).
    maintenance_tasks: tuple[str, ...] = ()

    def default_settings(self) -> dict[str, Any]:
        return {spec.key: spec.default for spec in self.settings}


# Path segments under /<slug>/ and /<slug>/staff/ that core screens use.
RESERVED_MODULE_KEYS = frozenset(
    {
        "staff",
        "auth",
        "users",
        "departments",
        "modules",
        "settings",
        "audit",
        "residents",
        "accounts",
        "api",
        "dataset",  # /<slug>/dataset/<name>.jsonld|.ttl (open data DCAT)
    }
)


@dataclass
class ModuleRegistry:
    _manifests: dict[str, ModuleManifest] = field(default_factory=dict)

    def register(self, manifest: ModuleManifest) -> None:
        if manifest.key in RESERVED_MODULE_KEYS or not manifest.key.replace("_", "").isalnum():
            raise ValueError(f"Module key {manifest.key!r} is reserved or not a plain identifier.")
        existing = self._manifests.get(manifest.key)
        if existing is not None and existing is not manifest:
            raise ValueError(f"Module key {manifest.key!r} is registered twice.")
        self._manifests[manifest.key] = manifest

    def get(self, key: str) -> ModuleManifest | None:
        return self._manifests.get(key)

    def all(self) -> list[ModuleManifest]:
        return sorted(self._manifests.values(), key=lambda manifest: manifest.key)

    def enabled_for(self, municipality: Municipality) -> list[ModuleManifest]:
        from .selectors import module_activation_map

        activations = module_activation_map(municipality)
        return [
            manifest for manifest in self.all() if activations.get(manifest.key, (manifest.enabled_by_default, {}))[0]
        ]


registry = ModuleRegistry()
